"""A bounded, redacted record of the HTTP requests a listener answered (§7).

:class:`Capture` turns the listener's ``HttpRequestReceived`` and
``HttpResponseSent`` events (paired by request id, §7.2/§7.3) into one
:class:`Exchange` per request: time, method, target, status, sizes, the
time of each hop the listener can see, and both header sets and bodies.
It is Qt-free: the CLI, a HAR export (:mod:`relaydesk.relay.har`) and the
GUI's inspector all read the same records.

Secrets never enter a record: header values of ``Authorization``,
``ServiceBusAuthorization``, cookies and the like, and tokens in query
strings, are redacted by the project's one rule set
(:mod:`relaydesk.protocol.redaction`) when the record is made.

Memory is bounded twice: at most ``max_records`` exchanges, and at most
``max_body_bytes`` of bodies in all; the oldest exchanges go first. Each
body keeps at most ``body_limit`` bytes; its full size is kept beside it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from relaydesk.protocol.redaction import redact_headers, redact_text
from relaydesk.relay.events import Event, HttpRequestReceived, HttpResponseSent

__all__ = ["HOP_LABELS", "Capture", "CapturedBody", "Exchange"]

#: What each timing means, in the order of the hops (the relay → listener
#: hop itself is not visible to the listener: the relay sends no time).
HOP_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "handler": "listener → local service → response head",
        "body": "local service → listener (body)",
        "deliver": "listener → relay (response)",
    }
)

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class CapturedBody:
    """A body, possibly cut: ``data`` is its start, ``size`` its full length."""

    data: bytes = b""
    size: int = 0

    @property
    def truncated(self) -> bool:
        """True when ``data`` holds less than the whole body."""
        return len(self.data) < self.size


@dataclass(frozen=True)
class Exchange:
    """One relayed HTTP request and the listener's answer (redacted).

    Attributes:
        request_id: the relay's request id (§7.2).
        started_at: wall-clock time the listener received the request.
        method, target: request line; ``target`` includes the hybrid
            connection's path (§7.2), its query tokens redacted.
        request_headers, request_body: as received (headers redacted).
        status: the answer's status, ``None`` while in flight.
        response_headers, response_body: as sent (headers redacted).
        elapsed: seconds from request to the end of the answer.
        timings: seconds per hop (:data:`HOP_LABELS`).
        via_rendezvous: the answer went over a rendezvous socket (§7.4).
    """

    request_id: str
    started_at: float
    method: str
    target: str
    request_headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    request_body: CapturedBody = field(default_factory=CapturedBody)
    status: int | None = None
    response_headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    response_body: CapturedBody = field(default_factory=CapturedBody)
    elapsed: float | None = None
    timings: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    via_rendezvous: bool = False

    @property
    def path(self) -> str:
        """The target without its query."""
        return self.target.split("?", 1)[0]

    @property
    def size(self) -> int:
        """Bytes of the response body (full size)."""
        return self.response_body.size

    @property
    def stored_bytes(self) -> int:
        """Bytes of body data this record holds."""
        return len(self.request_body.data) + len(self.response_body.data)

    def matches(self, *, path: str = "", method: str = "", status: str = "") -> bool:
        """Filter: ``path`` is a substring, ``method`` exact (any case),
        ``status`` a prefix (``"4"`` = every 4xx, ``"502"`` exactly)."""
        if path and path.lower() not in self.target.lower():
            return False
        if method and method.upper() != self.method.upper():
            return False
        return not status or (self.status is not None and str(self.status).startswith(status))


class Capture:
    """Exchanges built from listener events, newest last, bounded.

    Args:
        max_records: exchanges kept.
        max_body_bytes: body bytes kept over all exchanges.
        body_limit: bytes kept of each body.
    """

    def __init__(
        self,
        *,
        max_records: int = 2000,
        max_body_bytes: int = 64 * 1024 * 1024,
        body_limit: int = 1024 * 1024,
    ) -> None:
        self.max_records = max_records
        self.max_body_bytes = max_body_bytes
        self.body_limit = body_limit
        self._records: OrderedDict[str, Exchange] = OrderedDict()
        self._stored = 0
        self.dropped = 0
        """Exchanges let go of to stay within the bounds."""

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Exchange]:
        return iter(list(self._records.values()))

    def get(self, request_id: str) -> Exchange | None:
        """The exchange with this request id, if still kept."""
        return self._records.get(request_id)

    def add(self, event: Event) -> Exchange | None:
        """Take one listener event; return the exchange it created or completed."""
        if isinstance(event, HttpRequestReceived) and event.side == "listener":
            return self._started(event)
        if isinstance(event, HttpResponseSent) and event.side == "listener":
            return self._answered(event)
        return None

    def filtered(self, *, path: str = "", method: str = "", status: str = "") -> list[Exchange]:
        """Exchanges matching every given filter (see :meth:`Exchange.matches`)."""
        return [r for r in self if r.matches(path=path, method=method, status=status)]

    def clear(self) -> None:
        """Forget every exchange."""
        self._records.clear()
        self._stored = 0

    # Private methods -----------------------------------------------------------

    def _body(self, data: bytes, size: int | None = None) -> CapturedBody:
        return CapturedBody(bytes(data[: self.body_limit]), len(data) if size is None else size)

    def _started(self, event: HttpRequestReceived) -> Exchange:
        record = Exchange(
            request_id=event.request_id,
            started_at=event.at,
            method=event.method,
            target=redact_text(event.target),
            request_headers=MappingProxyType(redact_headers(event.headers)),
            request_body=self._body(event.body),
            via_rendezvous=event.via_rendezvous,
        )
        self._store(record)
        return record

    def _answered(self, event: HttpResponseSent) -> Exchange | None:
        record = self._records.get(event.request_id)
        if record is None:  # its request was let go of, or never seen
            return None
        answered = replace(
            record,
            status=event.status,
            response_headers=MappingProxyType(redact_headers(event.headers)),
            response_body=self._body(event.body, event.body_size),
            elapsed=event.elapsed,
            timings=MappingProxyType(dict(event.timings)),
            via_rendezvous=record.via_rendezvous or event.via_rendezvous,
        )
        self._stored -= record.stored_bytes
        self._records[event.request_id] = answered
        self._stored += answered.stored_bytes
        self._trim()
        return answered

    def _store(self, record: Exchange) -> None:
        old = self._records.pop(record.request_id, None)
        if old is not None:
            self._stored -= old.stored_bytes
        self._records[record.request_id] = record
        self._stored += record.stored_bytes
        self._trim()

    def _trim(self) -> None:
        """Let the oldest exchanges go until both bounds hold (the newest stays)."""
        while len(self._records) > 1 and (
            len(self._records) > self.max_records or self._stored > self.max_body_bytes
        ):
            _, oldest = self._records.popitem(last=False)
            self._stored -= oldest.stored_bytes
            self.dropped += 1
