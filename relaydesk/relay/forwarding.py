"""A listener that forwards every relayed request to a local service.

:class:`Forwarder` is an HTTP handler (:data:`~relaydesk.relay.policies.HttpHandler`)
plus an accept policy and a connection handler for WebSockets, so it plugs
into :class:`~relaydesk.relay.listener.Listener` without changing it::

    forwarder = Forwarder(ForwardOptions(http_url="http://127.0.0.1:8080"),
                          entity_path=address.entity_path)
    listener = Listener(address, provider, http_handler=forwarder,
                        policy=forwarder.accept_policy,
                        connection_handler=forwarder.connection_handler)

HTTP (§7): method, the path below the hybrid connection, query, headers and
body go to the local base URL; hop-by-hop headers are replaced as a
reverse proxy does (:mod:`relaydesk.relay.forward_target`). The local
response comes back as a :class:`~relaydesk.relay.policies.StreamedReply`,
so a large or slow body is streamed over the rendezvous socket (§7.3)
instead of being held here. Every failure of the local side becomes a
status made by RelayDesk, with a one-line body that says so, and an error
event on the listener (which stays online):

====  =====================================================================
413   the request body is larger than ``max_request_body``
502   refused / unreachable / TLS failure / invalid HTTP / response too big
503   ``max_in_flight`` requests are already being forwarded
504   no response head within ``timeout`` (the relay itself gives up at 60 s)
====  =====================================================================

WebSockets (§5) are bridged by :mod:`relaydesk.relay.ws_bridge`.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import aiohttp
from yarl import URL

from relaydesk.errors import ForwardingFailed, InvalidField
from relaydesk.protocol.messages import INLINE_BODY_LIMIT, AcceptCommand
from relaydesk.protocol.text import header_text
from relaydesk.relay.connection import ListenerConnection
from relaydesk.relay.forward_target import (
    ForwardTarget,
    local_path,
    proxied_request_headers,
    proxied_response_headers,
)
from relaydesk.relay.policies import AcceptDecision, HttpReply, HttpRequest, StreamedReply
from relaydesk.relay.tls import make_ssl_context

__all__ = ["RELAY_DEADLINE", "ForwardOptions", "Forwarder", "local_ssl_context"]

_log = logging.getLogger(__name__)

#: The relay's deadline for a listener's answer (§7.3); shown when a local
#: service is too slow.
RELAY_DEADLINE = 60.0

#: Bytes read from the local response at a time.
_CHUNK = 64 * 1024

#: aiohttp adds these unless told not to; a proxy must pass headers as sent.
_NO_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")


@dataclass(frozen=True)
class ForwardOptions:
    """Where and how to forward.

    Attributes:
        http_url: local base URL for HTTP requests (``http://127.0.0.1:8080``).
        ws_url: local base URL for WebSocket connections; ``None`` = the
            HTTP base with the ws/wss scheme.
        host_header: ``Host`` sent to the local service; ``None`` = the
            authority of the local URL (as most reverse proxies do).
        ca_file: extra CA trusted for an https/wss local service.
        verify_tls: False accepts any certificate of the local service.
        max_in_flight: requests forwarded at once; more get 503.
        max_request_body, max_response_body: bytes; larger gets 413/502.
        timeout: seconds to wait for the local response head, and at most
            between two body chunks; below the relay's 60 s (§7.3).
        max_message_size: largest WebSocket message bridged, bytes.
    """

    http_url: str
    ws_url: str | None = None
    host_header: str | None = None
    ca_file: str | None = None
    verify_tls: bool = True
    max_in_flight: int = 32
    max_request_body: int = 64 * 1024 * 1024
    max_response_body: int = 1024 * 1024 * 1024
    timeout: float = 50.0
    max_message_size: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        ForwardTarget.parse(self.http_url, field="forward")
        if self.ws_url is not None:
            ForwardTarget.parse(self.ws_url, field="forward_ws", kind="ws")
        for name in ("max_in_flight", "max_request_body", "max_response_body"):
            if getattr(self, name) < 1:
                raise InvalidField(name, "must be at least 1")
        if not 0 < self.timeout < RELAY_DEADLINE:
            raise InvalidField(
                "timeout", f"must be above 0 and below the relay's {RELAY_DEADLINE:.0f} s deadline"
            )

    @property
    def http_target(self) -> ForwardTarget:
        """The parsed HTTP base."""
        return ForwardTarget.parse(self.http_url, field="forward")

    @property
    def ws_target(self) -> ForwardTarget:
        """The parsed WebSocket base."""
        if self.ws_url is None:
            return self.http_target.as_websocket()
        return ForwardTarget.parse(self.ws_url, field="forward_ws", kind="ws")


def local_ssl_context(options: ForwardOptions) -> ssl.SSLContext:
    """TLS trust for the local service, separate from the relay's."""
    context = make_ssl_context(options.ca_file)
    if not options.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _reason_text(reason: str | None) -> str | None:
    """The local app's reason phrase as text (Latin-1 when not UTF-8); ``None`` stays."""
    return None if reason is None else header_text(reason)


def _failure_reply(problem: ForwardingFailed) -> StreamedReply:
    """The sender's answer to a local failure: status, one line naming RelayDesk."""
    headers = {"Content-Type": "text/plain; charset=utf-8", "X-RelayDesk-Error": problem.cause}
    if problem.status == 503:
        headers["Retry-After"] = "1"
    body = f"RelayDesk (forwarding listener): {problem}\n".encode()
    return StreamedReply(status=problem.status, headers=headers, body=body, problem=problem)


class Forwarder:
    """Forward HTTP requests and WebSocket connections to a local service.

    Args:
        options: where and how.
        entity_path: the hybrid connection's path, stripped from request
            targets (§7.2).
    """

    def __init__(self, options: ForwardOptions, *, entity_path: str) -> None:
        self.options = options
        self.entity_path = entity_path.strip("/")
        self._target = options.http_target
        self._ssl = local_ssl_context(options) if self._target.secure else None
        self._session: aiohttp.ClientSession | None = None
        self._in_flight = 0
        from relaydesk.relay.ws_bridge import WebSocketBridge

        self._bridge = WebSocketBridge(options, entity_path=self.entity_path)

    @property
    def in_flight(self) -> int:
        """Requests being forwarded now (until their body has been passed on)."""
        return self._in_flight

    async def __call__(self, request: HttpRequest) -> HttpReply:
        """Forward one relayed request (the listener's HTTP handler)."""
        problem = self._refusal(request)
        if problem is not None:
            return _failure_reply(problem)
        self._in_flight += 1
        released = False
        try:
            response = await self._send(request)
            headers = proxied_response_headers(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers
            )
            length = response.content_length
            if length is not None and length <= INLINE_BODY_LIMIT:
                # Small and announced: read it at once, it goes inline (§7.3).
                return StreamedReply(
                    status=response.status,
                    reason=_reason_text(response.reason),
                    headers=headers,
                    body=await self._small_body(response),
                )
            released = True  # the body generator releases the slot
            return StreamedReply(
                status=response.status,
                reason=_reason_text(response.reason),
                headers=headers,
                chunks=self._body(response),
            )
        except ForwardingFailed as exc:
            return _failure_reply(exc)
        finally:
            if not released:
                self._in_flight -= 1

    async def accept_policy(self, command: AcceptCommand) -> AcceptDecision:
        """Accept a WebSocket sender only once the local WebSocket is open (§5.2)."""
        return await self._bridge.accept(command, self._client())

    def bridges(self, connection_id: str) -> bool:
        """True if :meth:`accept_policy` opened a local WebSocket for this sender."""
        return self._bridge.holds(connection_id)

    async def connection_handler(self, connection: ListenerConnection) -> None:
        """Pass frames both ways until one side closes (§5.2)."""
        await self._bridge.serve(connection)

    async def close(self) -> None:
        """Close the connection pool to the local service and open bridges."""
        await self._bridge.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    # Private methods -----------------------------------------------------------

    def _refusal(self, request: HttpRequest) -> ForwardingFailed | None:
        if self._in_flight >= self.options.max_in_flight:
            return ForwardingFailed(
                503,
                "busy",
                f"{self._in_flight} requests are already being forwarded "
                f"(limit {self.options.max_in_flight}); try again",
            )
        if len(request.body) > self.options.max_request_body:
            return ForwardingFailed(
                413,
                "request-too-large",
                f"the request body of {len(request.body)} bytes is over the "
                f"forwarding limit of {self.options.max_request_body} bytes",
            )
        return None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self.options.max_in_flight + 8, ssl=self._ssl if self._ssl else True
                ),
                auto_decompress=False,  # bodies pass byte for byte
                timeout=aiohttp.ClientTimeout(total=None),
                cookie_jar=aiohttp.DummyCookieJar(),  # a proxy keeps no cookies
            )
        return self._session

    async def _send(self, request: HttpRequest) -> aiohttp.ClientResponse:
        """Send the request; return once the local response head has arrived."""
        url = self._target.url(local_path(request.target, self.entity_path))
        headers = proxied_request_headers(
            request.headers,
            remote=request.remote_endpoint,
            prefix="/" + self.entity_path,
            host=self.options.host_header,
        )
        try:
            async with asyncio.timeout(self.options.timeout):
                response = await self._client().request(
                    request.method,
                    URL(url, encoded=True),
                    headers=headers,
                    data=request.body or None,
                    skip_auto_headers=_NO_AUTO_HEADERS,
                    allow_redirects=False,
                )
        except TimeoutError:
            raise self._timeout_error("answer") from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise self._connect_error(exc) from None
        length = response.content_length
        if length is not None and length > self.options.max_response_body:
            response.release()
            raise self._too_large(length)
        return response

    async def _small_body(self, response: aiohttp.ClientResponse) -> bytes:
        """A body of announced length ≤ 64 KiB, read whole, within the timeout."""
        try:
            async with asyncio.timeout(self.options.timeout):
                return await response.read()
        except TimeoutError:
            raise self._timeout_error("send its response body") from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise self._broken_body(exc) from None
        finally:
            response.release()

    def _broken_body(self, exc: BaseException) -> ForwardingFailed:
        return ForwardingFailed(
            502,
            "broken-body",
            f"the local service at {self._target} broke off its response body ({_describe(exc)})",
        )

    async def _body(self, response: aiohttp.ClientResponse) -> AsyncGenerator[bytes, None]:
        """The local body chunk by chunk, bounded in size and idle time."""
        size = 0
        try:
            while True:
                try:
                    async with asyncio.timeout(self.options.timeout):
                        chunk = await response.content.read(_CHUNK)
                except TimeoutError:
                    raise self._timeout_error("send the rest of its response body") from None
                except (aiohttp.ClientError, OSError, ValueError) as exc:
                    raise self._broken_body(exc) from None
                if not chunk:
                    return
                size += len(chunk)
                if size > self.options.max_response_body:
                    raise self._too_large(size)
                yield chunk
        finally:
            response.release()
            self._in_flight -= 1

    def _timeout_error(self, what: str) -> ForwardingFailed:
        return ForwardingFailed(
            504,
            "timeout",
            f"the local service at {self._target} did not {what} within "
            f"{self.options.timeout:g} s (Azure Relay gives up after "
            f"{RELAY_DEADLINE:.0f} s)",
        )

    def _too_large(self, size: int) -> ForwardingFailed:
        return ForwardingFailed(
            502,
            "response-too-large",
            f"the local service's response of {size} bytes or more is over the "
            f"forwarding limit of {self.options.max_response_body} bytes",
        )

    def _connect_error(self, exc: BaseException) -> ForwardingFailed:
        if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
            return ForwardingFailed(
                502,
                "tls",
                f"TLS with the local service at {self._target} failed ({_describe(exc)})",
            )
        if isinstance(exc, aiohttp.ClientConnectorError):
            return ForwardingFailed(
                502,
                "unreachable",
                f"could not connect to the local service at {self._target} "
                f"({_describe(exc.os_error)})",
            )
        return ForwardingFailed(
            502,
            "invalid-response",
            f"the local service at {self._target} did not answer with valid HTTP "
            f"({_describe(exc)})",
        )


def _describe(exc: BaseException) -> str:
    """A short cause: the OS error text or the exception's class."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _describe(exc.os_error)
    if isinstance(exc, aiohttp.ClientResponseError):  # its str() quotes the URL (query too)
        return f"{type(exc).__name__}: {exc.message}"[:200]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
