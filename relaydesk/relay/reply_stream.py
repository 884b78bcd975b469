"""Send a streamed HTTP reply inline or over the rendezvous socket (§7.3, §7.4).

A :class:`~relaydesk.relay.policies.StreamedReply` produces its body while
it is sent (a forwarded download, a slow local service). The rule is the
.NET listener's (§7.3): buffer the body while it fits in 64 KiB and the
producer keeps up; if it ends in time, answer inline on the control
channel; if it grows past 64 KiB or takes longer than :data:`FLUSH_AFTER`,
send ``response`` on the rendezvous socket and then the body as *one*
binary message in fragments (non-FIN frames, an empty FIN frame last), so
no more than one chunk is ever held here.

A producer that fails before anything was sent turns into a 502 made by
RelayDesk; one that fails half-way can only be cut off: the fragmented
message is aborted (close 1011), which the relay reports to the sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field

from relaydesk.protocol.messages import INLINE_BODY_LIMIT

__all__ = ["CAPTURE_LIMIT", "FLUSH_AFTER", "BodyTally", "Prefetch", "prefetch"]

#: Seconds a body may take to complete before it is streamed (.NET
#: ``WriteBufferFlushTimeout``, §7.3).
FLUSH_AFTER = 2.0

#: Bytes of a streamed body kept for events and captures.
CAPTURE_LIMIT = 1024 * 1024


@dataclass
class BodyTally:
    """What went through: total size, the first bytes, and when."""

    size: int = 0
    captured: bytearray = field(default_factory=bytearray)
    last_read_at: float | None = None

    def add(self, chunk: bytes) -> None:
        """Count ``chunk`` and keep it while under :data:`CAPTURE_LIMIT`."""
        self.size += len(chunk)
        room = CAPTURE_LIMIT - len(self.captured)
        if room > 0:
            self.captured += chunk[:room]
        self.last_read_at = time.monotonic()


@dataclass
class Prefetch:
    """The start of a body: what was read before the inline/rendezvous decision.

    Attributes:
        head: bytes read so far (at most one chunk past 64 KiB).
        ended: the body ended within the limits: ``head`` is all of it.
        pending: the read of the next chunk, still under way.
    """

    chunks: AsyncIterator[bytes]
    head: bytearray
    ended: bool
    pending: asyncio.Future[bytes | None] | None
    tally: BodyTally

    @property
    def fits_inline(self) -> bool:
        """True if the whole body is known and may go on the control channel (§7.3)."""
        return self.ended and len(self.head) <= INLINE_BODY_LIMIT

    async def rest(self) -> AsyncGenerator[bytes, None]:
        """The head (even empty: the fragmented message must start) and the rest."""
        yield bytes(self.head)
        if self.ended:
            return
        pending, self.pending = self.pending, None
        if pending is not None:
            chunk = await pending
            if chunk is None:
                return
            self.tally.add(chunk)
            yield chunk
        async for chunk in self.chunks:
            self.tally.add(chunk)
            yield chunk

    async def discard(self) -> None:
        """Stop a read still under way (the reply is not sent)."""
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
            with contextlib.suppress(BaseException):
                await self.pending


async def _next(chunks: AsyncIterator[bytes]) -> bytes | None:
    """The next chunk, ``None`` at the end (a task must not raise StopAsyncIteration)."""
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None


async def prefetch(
    chunks: AsyncIterator[bytes],
    *,
    limit: int = INLINE_BODY_LIMIT,
    flush_after: float = FLUSH_AFTER,
) -> Prefetch:
    """Read the body until it ends, exceeds ``limit`` or ``flush_after`` passes.

    The pending read runs as a task so that the timer never cancels the
    producer in the middle of a chunk. Errors of the producer propagate.
    """
    tally = BodyTally()
    head = bytearray()
    deadline = time.monotonic() + flush_after
    while len(head) <= limit:
        pending = asyncio.ensure_future(_next(chunks))
        remaining = deadline - time.monotonic()
        try:
            done, _ = await asyncio.wait({pending}, timeout=max(remaining, 0.0))
        except BaseException:  # cancelled: stop the read too, so its finally runs
            pending.cancel()
            raise
        if not done:
            return Prefetch(chunks, head, False, pending, tally)
        chunk = pending.result()
        if chunk is None:
            return Prefetch(chunks, head, True, None, tally)
        tally.add(chunk)
        head += chunk
    return Prefetch(chunks, head, False, None, tally)
