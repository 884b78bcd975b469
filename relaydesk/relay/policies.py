"""Pluggable listener behaviour: who gets accepted, what HTTP requests get.

An *accept policy* decides about each WebSocket sender (§5.1–5.3); an *HTTP
handler* turns each relayed HTTP request into a reply (§7.2, §7.3). Both are
plain async callables, so the CLI, the GUI and tests can pass a lambda; the
factories here cover the common cases (accept all, reject with a status,
echo, a fixed response).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from relaydesk.errors import InvalidField, RelayDeskError
from relaydesk.protocol.messages import AcceptCommand, RemoteEndpoint
from relaydesk.protocol.text import NOT_TEXT, is_text

__all__ = [
    "AcceptDecision",
    "AcceptPolicy",
    "HttpHandler",
    "HttpReply",
    "HttpRequest",
    "StreamedReply",
    "accept_all",
    "echo_handler",
    "fixed_response",
    "reject_all",
]

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class AcceptDecision:
    """The answer to an ``accept`` (§5.2, §5.3).

    Attributes:
        accept: True to open the rendezvous, False to reject.
        status: rejection status sent to the sender (100–999).
        reason: rejection status description.
        subprotocol: the ``Sec-WebSocket-Protocol`` to accept, if the sender
            offered any (§5.2); ``None`` picks the first one offered.
    """

    accept: bool
    status: int = 0
    reason: str = ""
    subprotocol: str | None = None

    def __post_init__(self) -> None:
        if not self.accept and not 100 <= self.status <= 999:
            raise InvalidField("status", "a rejection status must be from 100 to 999")

    @classmethod
    def allow(cls, *, subprotocol: str | None = None) -> AcceptDecision:
        """Accept the connection."""
        return cls(accept=True, subprotocol=subprotocol)

    @classmethod
    def reject(cls, status: int = 400, reason: str = "Rejected by listener") -> AcceptDecision:
        """Reject with ``status`` and ``reason`` (the .NET default is 400, §5.3)."""
        return cls(accept=False, status=status, reason=reason)


#: Decides about one sender; may be slow (the sender waits, the listener does not).
AcceptPolicy = Callable[[AcceptCommand], Awaitable[AcceptDecision]]


def accept_all() -> AcceptPolicy:
    """A policy that accepts every sender."""

    async def policy(_command: AcceptCommand) -> AcceptDecision:
        return AcceptDecision.allow()

    return policy


def reject_all(status: int = 403, reason: str = "Rejected by listener") -> AcceptPolicy:
    """A policy that rejects every sender with ``status`` and ``reason``."""
    decision = AcceptDecision.reject(status, reason)

    async def policy(_command: AcceptCommand) -> AcceptDecision:
        return decision

    return policy


@dataclass(frozen=True)
class HttpRequest:
    """An HTTP request relayed to the listener (§7.2).

    Attributes:
        id: the request id, echoed in the response.
        method: HTTP method.
        target: request target: path including the entity name, plus query
            with ``sb-hc-*`` removed (``/demo/x?y=1``).
        headers: request headers (auth and hop-by-hop headers removed by the
            service).
        body: the whole body.
        remote_endpoint: the sender's address, when the service says.
        via_rendezvous: the request arrived over a rendezvous socket.
    """

    id: str
    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes
    remote_endpoint: RemoteEndpoint | None = None
    via_rendezvous: bool = False


@dataclass(frozen=True)
class HttpReply:
    """The listener's answer to an :class:`HttpRequest` (§7.3).

    Connection-level headers (RFC 7230) must not be set (§7.3).
    """

    status: int = 200
    reason: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    body: bytes = b""

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 999:
            raise InvalidField("status", "an HTTP status must be from 100 to 999")
        # The response message is JSON text (§7.3): a lone surrogate would go out
        # as a \udcXX escape the relay refuses, closing the control channel.
        if self.reason is not None and not is_text(self.reason):
            raise InvalidField("reason", f"the reason phrase {NOT_TEXT}")
        if not all(is_text(name) and is_text(value) for name, value in self.headers.items()):
            raise InvalidField("headers", f"a response header {NOT_TEXT}")
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))


@dataclass(frozen=True)
class StreamedReply(HttpReply):
    """An :class:`HttpReply` whose body is produced while it is sent (§7.3).

    The responder buffers up to 64 KiB (or 2 s, as .NET does); a longer or
    slower body goes over the rendezvous socket as one fragmented binary
    message, so a forwarded download is never held in memory whole.

    Attributes:
        chunks: the body, chunk by chunk (``body`` is then ignored); the
            responder always closes it.
        problem: why this reply is an error reply made by RelayDesk itself
            (a forwarding failure); the listener publishes it as an error.
    """

    chunks: AsyncGenerator[bytes, None] | None = None
    problem: RelayDeskError | None = None


#: Answers one HTTP request; exceptions become a 500 without their text (§11).
HttpHandler = Callable[[HttpRequest], Awaitable[HttpReply]]


def echo_handler() -> HttpHandler:
    """A handler that answers 200 with the request body and content type."""

    async def handler(request: HttpRequest) -> HttpReply:
        content_type = next(
            (v for k, v in request.headers.items() if k.lower() == "content-type"), None
        )
        headers = {"Content-Type": content_type} if content_type else {}
        return HttpReply(status=200, headers=headers, body=request.body)

    return handler


def fixed_response(
    status: int = 200,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    reason: str | None = None,
) -> HttpHandler:
    """A handler that answers every request with the same response."""
    reply = HttpReply(status=status, reason=reason, headers=headers or {}, body=body)

    async def handler(_request: HttpRequest) -> HttpReply:
        return reply

    return handler
