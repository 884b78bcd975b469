"""A local HTTP port into the relay: the sender's end of a tunnel (§6, §7.1).

:class:`LocalPort` listens on ``127.0.0.1:PORT``. Every request a local
tool sends there (curl, a browser, an app) goes through the relay to the
listener as an HTTP sender request with the sender's identity (§7.1): the
method, path and query become the path below the hybrid connection, headers
and body pass on (hop-by-hop headers dropped, as a proxy does). A WebSocket
upgrade on the port becomes a relayed WebSocket connection (§6), bridged
frame for frame (:func:`relaydesk.relay.ws_bridge.bridge`).

With a forwarding listener on the other side this is a complete tunnel
between two machines, neither with an inbound firewall port. The port
listens on loopback only unless a caller asks otherwise
(:func:`is_loopback` lets the CLI warn).

Relay refusals come back to the local client with the relay's status (401,
403, 404, 502, 504) and a one-line body naming RelayDesk; an unreachable
relay or a token failure is a 502. Every exchange is also published as an
event (:class:`~relaydesk.relay.events.HttpResponseReceived`, or
:class:`~relaydesk.relay.events.ErrorOccurred`).
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from types import TracebackType

import aiohttp
from aiohttp import web

from relaydesk.errors import (
    AuthError,
    HandshakeFailed,
    InvalidField,
    InvalidInput,
    RelayDeskError,
    RelayError,
)
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.proxy import ProxySettings
from relaydesk.relay.accepting import offered_subprotocols
from relaydesk.relay.event_queue import EventQueue
from relaydesk.relay.events import ErrorOccurred, Event
from relaydesk.relay.failures import error_info
from relaydesk.relay.forward_target import PROXY_HOP_BY_HOP
from relaydesk.relay.http_sender import StreamedHttpResponse, open_http_request
from relaydesk.relay.reply_stream import BodyTally
from relaydesk.relay.sender import connect
from relaydesk.relay.tokens import TokenProviderLike
from relaydesk.relay.ws_bridge import bridge

__all__ = ["LocalPort", "LocalPortOptions", "is_loopback"]

_log = logging.getLogger(__name__)

_WS_HANDSHAKE = frozenset(
    {
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "sec-websocket-accept",
    }
)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class LocalPortOptions:
    """Where the local port listens and how much it accepts.

    Attributes:
        port: TCP port (0 = any free port; :attr:`LocalPort.url` tells).
        bind: interface; loopback unless explicitly asked otherwise.
        timeout: seconds for one relayed exchange (the relay answers 504
            after 60 s, §7.1).
        max_request_body: bytes; larger requests get 413 here.
        max_message_size: largest WebSocket message passed on, bytes.
    """

    port: int
    bind: str = "127.0.0.1"
    timeout: float = 70.0
    max_request_body: int = 64 * 1024 * 1024
    max_message_size: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise InvalidField("port", f"{self.port} is not a TCP port (0-65535)")
        if not self.bind.strip():
            raise InvalidField("bind", "give an interface address such as 127.0.0.1")


def _headers_for_relay(headers: Mapping[str, str], *, websocket: bool) -> dict[str, str]:
    """The local client's headers minus hop-by-hop ones (and the WS handshake's)."""
    hidden = PROXY_HOP_BY_HOP | (_WS_HANDSHAKE if websocket else frozenset()) | {"expect"}
    result: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() not in hidden:
            result[name] = f"{result[name]}, {value}" if name in result else value
    return result


def _refusal(status: int, cause: str, text: str) -> web.Response:
    """An answer made by RelayDesk itself, saying so."""
    return web.Response(
        status=status,
        text=f"RelayDesk (local port): {text}\n",
        headers={"X-RelayDesk-Error": cause},
    )


class LocalPort:
    """A loopback HTTP server whose every request goes through the relay.

    Args:
        address: the hybrid connection.
        token_provider: the sender's identity (Send rights, §3).
        options: port, interface, limits.
        ssl_context: TLS trust for the relay.
        proxy: how the relay is reached (``None`` = system mode).
        clock: wall clock for events.
    """

    def __init__(
        self,
        address: HybridConnectionAddress,
        token_provider: TokenProviderLike,
        *,
        options: LocalPortOptions,
        ssl_context: ssl.SSLContext | None = None,
        proxy: ProxySettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.address = address
        self.options = options
        self._provider = token_provider
        self._ssl = ssl_context
        self._proxy = proxy
        self._clock = clock
        self._queue = EventQueue("sender", clock=clock)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = options.port

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the running port."""
        host = self.options.bind
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def events(self) -> AsyncIterator[Event]:
        """One event per exchange, until stopped (single consumer)."""
        return self._queue.stream()

    async def start(self) -> None:
        """Listen on the port.

        Raises:
            InvalidInput: the port is taken or the interface does not exist.
        """
        app = web.Application(client_max_size=self.options.max_request_body)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.options.bind, self.options.port)
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise InvalidInput(
                "port", f"cannot listen on {self.options.bind}:{self.options.port} ({exc.strerror})"
            ) from None
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=self._ssl if self._ssl else True),
            auto_decompress=False,  # bodies pass byte for byte
            cookie_jar=aiohttp.DummyCookieJar(),  # cookies belong to the local client
        )

    async def stop(self) -> None:
        """Stop listening and close the connections to the relay."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._queue.close()

    async def __aenter__(self) -> LocalPort:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # Private methods -----------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path, _, query = request.raw_path.partition("?")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request, path, query)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refusal(
                413,
                "request-too-large",
                f"the body is over the limit of {self.options.max_request_body} bytes",
            )
        answer: web.StreamResponse | None = None
        tally = BodyTally()
        try:
            assert self._session is not None
            async with open_http_request(
                self.address,
                self._provider,
                request.method,
                path_suffix=path,
                query=query,
                headers=_headers_for_relay(request.headers, websocket=False),
                body=body or None,
                timeout=self.options.timeout,
                session=self._session,
                proxy=self._proxy,
            ) as streamed:
                answer = await self._start_answer(request, streamed)
                async for chunk in streamed.chunks():
                    tally.add(chunk)
                    await answer.write(chunk)  # passed on as it arrives
                await answer.write_eof()
        except RelayDeskError as exc:
            if answer is None:
                return self._failed(exc)
            self._report(exc)  # the status has gone: the client sees a cut body
            return answer
        except OSError:  # the local client went away mid-answer
            return answer or web.Response(status=499)
        whole = streamed.whole(bytes(tally.captured))
        self._queue.put(replace(whole.event(self._clock()), body_size=tally.size))
        return answer

    async def _start_answer(
        self, request: web.Request, streamed: StreamedHttpResponse
    ) -> web.StreamResponse:
        """Send the listener's status line and headers to the local client."""
        answer = web.StreamResponse(status=streamed.status, reason=streamed.reason or None)
        for name, value in streamed.headers.items():
            if name.lower() not in PROXY_HOP_BY_HOP:
                answer.headers[name] = value
        length = next((v for k, v in streamed.headers.items() if k.lower() == "content-length"), "")
        if length.isdigit():
            answer.content_length = int(length)
        await answer.prepare(request)
        return answer

    async def _websocket(self, request: web.Request, path: str, query: str) -> web.StreamResponse:
        """Open a relayed WebSocket (§6), then accept the local client's upgrade."""
        try:
            relayed = await connect(
                self.address,
                self._provider,
                path_suffix=path,
                query=query,
                extra_headers=_headers_for_relay(request.headers, websocket=True),
                subprotocols=offered_subprotocols(request.headers) or None,
                ssl_context=self._ssl,
                proxy=self._proxy,
            )
        except RelayDeskError as exc:
            return self._failed(exc)
        local = web.WebSocketResponse(
            protocols=[relayed.subprotocol] if relayed.subprotocol else (),
            max_msg_size=self.options.max_message_size,
            compress=False,
            autoping=True,
        )
        try:
            await local.prepare(request)
            await bridge(relayed, local)
        finally:
            if not relayed.closed:
                await relayed.close()
        return local

    def _report(self, exc: RelayDeskError) -> None:
        self._queue.put(ErrorOccurred(at=self._clock(), side="sender", error=error_info(exc)))

    def _failed(self, exc: RelayDeskError) -> web.Response:
        """The local client's answer when the relay (or the token) failed."""
        self._report(exc)
        info = error_info(exc)
        text = f"{info.message}" + (f" — {info.remedy}" if info.remedy else "")
        if isinstance(exc, HandshakeFailed):
            return _refusal(exc.status, "relay-refused", text)
        if isinstance(exc, InvalidInput):
            return _refusal(400, "invalid-request", text)
        if isinstance(exc, AuthError):
            return _refusal(502, "no-token", text)
        if isinstance(exc, RelayError):
            return _refusal(502, "relay-unreachable", text)
        return _refusal(502, "failed", text)
