"""``relaydesk send``: a WebSocket sender (protocol §6).

Connects through the relay to a listener and sends one payload ``--count``
times: ``--message TEXT``, the contents of ``--message-file PATH`` (``-``
reads standard input; arguments are limited in size, files are not), or
``--size BYTES`` of generated data; as text frames, or binary frames with
``--binary``. Then it prints a summary:
``{"event":"summary","sent":…,"received":…,"median_rtt_ms":…,…}``.

With ``--expect-echo`` each message must come back: ``--pipeline N`` keeps
up to N messages in flight (sent, echo not yet back; 1 = one at a time,
which gives plain round-trip times), and the exit code is 0 only if every
echo arrived and matched within ``--timeout``; otherwise 6 ("incomplete").
Without it the messages go out back to back, and echoes that arrive are
read (so the close handshake never waits behind them) but not checked.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from relaydesk.cli.argument_types import seconds, text
from relaydesk.cli.common import (
    add_common_arguments,
    resolve,
    run_command,
    ssl_context_for,
    token_providers,
)
from relaydesk.cli.exit_codes import EXIT_INCOMPLETE, EXIT_OK
from relaydesk.cli.output import Output, data_fields

if TYPE_CHECKING:
    from relaydesk.relay.sender import SenderConnection

__all__ = ["add_arguments", "median", "run"]

#: Largest generated payload (``--size``): beyond it memory, not the relay, is the limit.
MAX_SIZE = 1024 * 1024 * 1024
#: Most messages in flight (``--pipeline``).
MAX_PIPELINE = 100_000
#: Repeated to build ``--size`` payloads: printable for text, every byte value for binary.
_TEXT_PATTERN = b"abcdefghijklmnopqrstuvwxyz0123456789"
_BINARY_PATTERN = bytes(range(256))
#: The options that read standard input besides ``--message-file -``.
_STDIN_OPTIONS = (
    ("client_secret_stdin", "--client-secret-stdin"),
    ("sas_key_stdin", "--sas-key-stdin"),
    ("sender_client_secret_stdin", "--sender-client-secret-stdin"),
    ("sender_sas_key_stdin", "--sender-sas-key-stdin"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``relaydesk send``."""
    add_common_arguments(parser)
    group = parser.add_argument_group("what to send")
    payload = group.add_mutually_exclusive_group(required=True)
    payload.add_argument("--message", metavar="TEXT", type=text, help="the text to send")
    payload.add_argument(
        "--message-file",
        metavar="PATH",
        help="send the contents of this file ('-': standard input); any size",
    )
    payload.add_argument(
        "--size", type=int, metavar="BYTES", help="send a generated payload of this many bytes"
    )
    group.add_argument(
        "--binary", action="store_true", help="send binary frames (default: text frames)"
    )
    group.add_argument(
        "--count", type=int, default=1, metavar="N", help="send it N times (default 1)"
    )
    group.add_argument(
        "--expect-echo",
        action="store_true",
        help="wait for each message to come back; exit 0 only if all did",
    )
    group.add_argument(
        "--pipeline",
        type=int,
        default=1,
        metavar="N",
        help="with --expect-echo: keep up to N messages in flight (default 1, one at a time)",
    )
    group.add_argument(
        "--timeout",
        type=seconds,
        default=10.0,
        metavar="S",
        help="seconds to wait for each echo (default 10)",
    )
    group.add_argument(
        "--quiet",
        action="store_true",
        help="print only 'connected' and the summary, not a line per message",
    )
    group.add_argument(
        "--path",
        metavar="SUFFIX",
        default="",
        type=text,
        help="path appended to the address (§6)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``relaydesk send``."""
    return run_command(args, lambda output, stop: _send(args, output, stop), messages=args.count)


@dataclass
class _Tally:
    """Counts, round-trip times and duration for the summary."""

    sent: int = 0
    received: int = 0
    rtts_ms: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0

    def summary(self, close_code: int | None) -> dict[str, Any]:
        median_ms = round(median(self.rtts_ms), 3) if self.rtts_ms else None
        elapsed = max(self.finished - self.started, 0.0)
        count = self.received or self.sent
        return {
            "event": "summary",
            "sent": self.sent,
            "received": self.received,
            "median_rtt_ms": median_ms,
            "elapsed_ms": round(elapsed * 1000, 3),
            "messages_per_s": round(count / elapsed, 1) if elapsed > 0 else None,
            "close_code": close_code,
        }


def median(values: list[float]) -> float:
    """The median of ``values`` (not empty).

    Not :func:`statistics.median`: importing :mod:`statistics` (fractions,
    decimal) costs a one-message send ~2 ms for one sort.
    """
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _check_args(args: argparse.Namespace) -> None:
    from relaydesk.errors import InvalidInput

    if args.count < 1:
        raise InvalidInput("--count", "must be at least 1")
    if not 1 <= args.pipeline <= MAX_PIPELINE:
        raise InvalidInput("--pipeline", f"must be between 1 and {MAX_PIPELINE}")
    if args.size is not None and not 0 <= args.size <= MAX_SIZE:
        raise InvalidInput("--size", f"must be between 0 and {MAX_SIZE} bytes")
    if args.message_file == "-":
        for dest, option in _STDIN_OPTIONS:
            if getattr(args, dest, False):
                raise InvalidInput("--message-file", f"standard input is already used by {option}")
        if getattr(args, "connection_string", None) == "-":
            raise InvalidInput(
                "--message-file", "standard input is already used by --connection-string -"
            )


def _payload(args: argparse.Namespace) -> str | bytes:
    """The message to send: text (a text frame) or bytes (a binary frame)."""
    if args.size is not None:
        pattern = _BINARY_PATTERN if args.binary else _TEXT_PATTERN
        data = (pattern * (args.size // len(pattern) + 1))[: args.size]
    elif args.message_file is not None:
        data = _read_file(args.message_file)
    else:
        return args.message.encode() if args.binary else str(args.message)
    return data if args.binary else _as_text(data)


def _read_file(path: str) -> bytes:
    from relaydesk.errors import InvalidInput

    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as stream:
            return stream.read()
    except OSError as exc:
        raise InvalidInput("--message-file", f"cannot read {path!r} ({exc.strerror})") from None


def _as_text(data: bytes) -> str:
    from relaydesk.errors import InvalidInput

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            "--message-file", "is not UTF-8 text: add --binary to send it as binary frames"
        ) from None


async def _send(args: argparse.Namespace, output: Output, stop: asyncio.Event) -> int:
    from relaydesk.relay.failures import closed_error
    from relaydesk.relay.sender import connect

    _check_args(args)
    payload = _payload(args)
    target = resolve(args, output, ("sender",))
    tally = _Tally()
    async with token_providers(target) as providers:
        connection = await connect(
            target.address,
            providers["sender"],
            path_suffix=args.path,
            ssl_context=ssl_context_for(target),
            proxy=target.proxy,
        )
        async with connection:
            output.emit({"event": "connected", "url": connection.url})
            tally.started = time.monotonic()
            await _Exchange(connection, payload, args, output, tally, stop).run()
            tally.finished = time.monotonic()
    output.emit(tally.summary(connection.close_code))
    if connection.close_code not in (1000, None):
        raise closed_error(connection.close_code, connection.close_reason)
    complete = not args.expect_echo or tally.received == args.count
    return EXIT_OK if complete else EXIT_INCOMPLETE


class _Exchange:
    """Send ``--count`` messages; with ``--expect-echo`` read the echoes alongside.

    A window of ``--pipeline`` permits bounds the messages in flight: the
    sender takes one per message, the receiver gives one back per echo. The
    receiver runs as its own task so that echoes are read while sending
    (a full window never waits on a socket nobody reads).
    """

    def __init__(
        self,
        connection: SenderConnection,
        payload: str | bytes,
        args: argparse.Namespace,
        output: Output,
        tally: _Tally,
        stop: asyncio.Event,
    ) -> None:
        self._connection = connection
        self._payload = payload
        self._count: int = args.count
        self._timeout: float = args.timeout
        self._echo: bool = args.expect_echo
        self._quiet: bool = args.quiet
        self._output = output
        self._tally = tally
        self._stop = stop
        self._window = asyncio.Semaphore(args.pipeline)
        self._in_flight: collections.deque[tuple[int, float]] = collections.deque()
        self._failed = False
        self._shown = None if args.quiet else data_fields(payload)
        #: Messages per write: enough to save system calls, few enough to keep
        #: a batch within about 256 KiB.
        self._batch = max(1, min(64, (256 * 1024) // max(len(payload), 1)))

    async def run(self) -> None:
        if not self._echo:
            await self._send_all()
            return
        receiver = asyncio.create_task(self._receive_all())
        stopped = asyncio.create_task(self._stop.wait())
        try:
            await self._send_all()
            # An interrupt (SIGINT/SIGTERM) ends the wait for echoes at once.
            await asyncio.wait((receiver, stopped), return_when=asyncio.FIRST_COMPLETED)
            if receiver.done():
                receiver.result()  # raises what the receiver met (a close, …)
        finally:
            receiver.cancel()
            stopped.cancel()

    async def _send_all(self) -> None:
        """Send in batches: as many messages as the window has room for, one write each."""
        sequence = 0
        while sequence < self._count:
            size = await self._take_permits(self._count - sequence)
            if self._stop.is_set() or self._failed:
                return
            now = time.monotonic()
            first = sequence + 1
            sequence += size
            self._in_flight.extend((number, now) for number in range(first, sequence + 1))
            await self._connection.send_many([self._payload] * size)
            self._tally.sent += size
            if self._shown is not None:
                for number in range(first, sequence + 1):
                    self._output.emit({"event": "sent", "seq": number, **self._shown})

    async def _take_permits(self, wanted: int) -> int:
        """Wait for one window permit, then take those free at once (≤ ``wanted``, ≤ a batch)."""
        limit = min(wanted, self._batch)
        if not self._echo:
            return limit
        window = self._window
        await window.acquire()
        taken = 1
        while taken < limit and not window.locked():
            await window.acquire()  # free: returns at once
            taken += 1
        return taken

    async def _receive_all(self) -> None:
        """Read ``--count`` echoes, each within ``--timeout`` of the previous one."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(None) as deadline:
                for _ in range(self._count):
                    deadline.reschedule(loop.time() + self._timeout)
                    self._received(await self._connection.receive())
        except TimeoutError:
            sequence = self._in_flight[0][0] if self._in_flight else self._tally.sent + 1
            self._output.report(_no_echo(sequence, self._timeout))
            self._stop_sending()
        except BaseException:
            self._stop_sending()
            raise

    def _stop_sending(self) -> None:
        self._failed = True
        self._window.release()  # the sender waits for one permit at most; it then sees _failed

    def _received(self, reply: str | bytes) -> None:
        if not self._in_flight:
            return  # a message the listener sent on its own
        sequence, started = self._in_flight.popleft()
        self._window.release()
        rtt_ms = (time.monotonic() - started) * 1000
        if not self._quiet:
            record = {"event": "message", "seq": sequence, **data_fields(reply)}
            record["rtt_ms"] = round(rtt_ms, 3)
            self._output.emit(record)
        if reply == self._payload:
            self._tally.received += 1
            self._tally.rtts_ms.append(rtt_ms)


def _no_echo(sequence: int, timeout: float) -> dict[str, Any]:
    return {
        "kind": "EchoTimeout",
        "message": f"no echo for message {sequence} within {timeout:g} s",
        "remedy": "Check that the listener echoes messages (relaydesk listen --echo) "
        "or raise --timeout.",
        "exit_code": EXIT_INCOMPLETE,
    }
