"""HTTP sender: a plain HTTPS request through the relay to a listener (§7.1).

``METHOD https://{ns}/{hc}[/suffix][?query]`` with the token in the
``ServiceBusAuthorization`` header (§3). Any method but ``CONNECT`` (§7.1);
``Expect: 100-continue`` is never sent (§7.1: the live tests disable it).

Who answered: the service adds ``Via`` to every response that came from the
listener (§7.1), and its own refusals carry ``TrackingId:`` and a JSON
``{"error":{…}}`` body. A listener's response — any status, 4xx/5xx
included — is *returned*; a service refusal (401/403/404/502/504 …) is
*raised* as its typed error with a remedy (see
:func:`relaydesk.relay.failures.is_service_error`).
"""

from __future__ import annotations

import contextlib
import io
import math
import ssl
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import aiohttp

from relaydesk.errors import InvalidInput
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.headers import check_header_fields
from relaydesk.protocol.text import header_text
from relaydesk.protocol.wire_names import AUTH_HEADER
from relaydesk.proxy import ProxySettings
from relaydesk.relay.events import HttpResponseReceived
from relaydesk.relay.failures import handshake_error, is_service_error, with_remedy
from relaydesk.relay.http_proxy import HttpProxy
from relaydesk.relay.tokens import TokenProviderLike
from relaydesk.relay.transport import USER_AGENT, display_url

__all__ = ["HttpResponse", "StreamedHttpResponse", "http_request", "open_http_request"]

#: The relay's own answer deadline is 60 s (§7.1); wait a little longer.
DEFAULT_TIMEOUT = 70.0

_FORBIDDEN_HEADERS = frozenset({"expect", AUTH_HEADER.lower(), "host", "content-length"})


@dataclass(frozen=True)
class HttpResponse:
    """What the listener answered.

    Attributes:
        status, reason: status line (the listener's status description, §7.3).
        headers: response headers (repeated headers joined with ``", "``).
        body: the whole body.
        elapsed: seconds from sending to the end of the body.
        url: the request URL, display-safe (no token, no query).
        method: the method used.
        via: the ``Via`` header the relay added (§7.1), if any.
    """

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    elapsed: float
    url: str = ""
    method: str = "GET"
    via: str | None = field(default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))

    def event(self, at: float | None = None) -> HttpResponseReceived:
        """This response as an :class:`HttpResponseReceived` event (sender side)."""
        return HttpResponseReceived(
            at=time.time() if at is None else at,
            side="sender",
            method=self.method,
            url=self.url,
            status=self.status,
            reason=self.reason,
            headers=self.headers,
            body=self.body,
            elapsed=self.elapsed,
        )


#: Bodies above this go to aiohttp as a file-like object, which it streams in
#: chunks; a larger bytes payload is written in one go and holds the event loop
#: (aiohttp warns about it from 1 MiB).
_STREAM_ABOVE = 1024 * 1024


def _payload(
    body: bytes | AsyncIterable[bytes] | None,
) -> bytes | io.BytesIO | AsyncIterable[bytes] | None:
    """The body as aiohttp should send it: large bytes as a stream (same length)."""
    if isinstance(body, bytes) and len(body) > _STREAM_ABOVE:
        return io.BytesIO(body)
    return body


def _check(method: str, headers: Mapping[str, str] | None) -> tuple[str, dict[str, str]]:
    method = method.strip().upper()
    if not method or not method.isascii() or not method.replace("-", "").isalpha():
        raise InvalidInput("method", f"{method!r} is not an HTTP method")
    if method == "CONNECT":
        raise InvalidInput("method", "CONNECT cannot be relayed (§7.1); use a WebSocket sender")
    checked = check_header_fields(headers or {})
    return method, {k: v for k, v in checked.items() if k.lower() not in _FORBIDDEN_HEADERS}


def _joined(headers: aiohttp.typedefs.LooseHeaders | object) -> dict[str, str]:
    result: dict[str, str] = {}
    if isinstance(headers, Mapping):
        for name, value in headers.items():
            key, text = header_text(str(name)), header_text(str(value))
            result[key] = f"{result[key]}, {text}" if key in result else text
    return result


async def http_request(
    address: HybridConnectionAddress,
    token_provider: TokenProviderLike,
    method: str = "GET",
    *,
    path_suffix: str = "",
    query: str = "",
    headers: Mapping[str, str] | None = None,
    body: bytes | AsyncIterable[bytes] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - agreed API; bounds the aiohttp session
    session: aiohttp.ClientSession | None = None,
    proxy: ProxySettings | None = None,
) -> HttpResponse:
    """Send one HTTP request through the relay and return the listener's answer.

    Args:
        address: the hybrid connection.
        token_provider: gives a token with Send rights (anonymous: empty).
        method: any HTTP method except CONNECT.
        path_suffix, query: appended to the URL (reach the listener, §7.2).
        headers: request headers (``Expect``/``Host``/``Content-Length``
            and ``ServiceBusAuthorization`` are managed here).
        body: bytes, or an async iterable of chunks (streamed, chunked).
        ssl_context: TLS trust.
        timeout: total seconds for the exchange.
        session: an open session to reuse (its connections stay open between
            requests, as a local port into the relay needs); it must not
            decompress (``auto_decompress=False``) so bodies stay byte-exact,
            and its TLS trust replaces ``ssl_context``. ``None``: a session
            for this request only.
        proxy: how to reach the relay; ``None`` = system mode.

    Raises:
        InvalidInput: bad method, header, path suffix, query or timeout.
        Unauthorized, Forbidden, EntityNotFound, NoListener, ListenerTimeout,
        HandshakeFailed: the relay service refused (typed by status).
        ProxyError: the proxy on the way failed.
        RelayUnreachable: TCP/TLS/timeout.
        AuthError: no token could be obtained.
    """
    async with open_http_request(
        address,
        token_provider,
        method,
        path_suffix=path_suffix,
        query=query,
        headers=headers,
        body=body,
        ssl_context=ssl_context,
        timeout=timeout,
        session=session,
        proxy=proxy,
    ) as streamed:
        content = b"".join([chunk async for chunk in streamed.chunks()])
    return streamed.whole(content)


@dataclass
class StreamedHttpResponse:
    """The head of the listener's answer, its body still to be read (§7.1).

    Attributes:
        status, reason, headers, url, method, via: as in :class:`HttpResponse`.
        started: monotonic time the request was sent.
    """

    status: int
    reason: str
    headers: Mapping[str, str]
    url: str
    method: str
    via: str | None
    started: float
    _response: aiohttp.ClientResponse = field(repr=False)
    _read: bytes | None = field(default=None, repr=False)
    _error: Callable[[BaseException], Exception] | None = field(default=None, repr=False)

    async def chunks(self, size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """The body as it arrives.

        Raises:
            RelayUnreachable, ProxyError: the connection broke mid-body.
        """
        if self._read is not None:
            if self._read:
                yield self._read
            return
        try:
            async for chunk in self._response.content.iter_chunked(size):
                yield chunk
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            assert self._error is not None
            raise self._error(exc) from exc

    def whole(self, body: bytes) -> HttpResponse:
        """This answer with its whole ``body`` (read with :meth:`chunks`)."""
        return HttpResponse(
            status=self.status,
            reason=self.reason,
            headers=self.headers,
            body=body,
            elapsed=time.monotonic() - self.started,
            url=self.url,
            method=self.method,
            via=self.via,
        )


@contextlib.asynccontextmanager
async def open_http_request(
    address: HybridConnectionAddress,
    token_provider: TokenProviderLike,
    method: str = "GET",
    *,
    path_suffix: str = "",
    query: str = "",
    headers: Mapping[str, str] | None = None,
    body: bytes | AsyncIterable[bytes] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - as http_request
    session: aiohttp.ClientSession | None = None,
    proxy: ProxySettings | None = None,
) -> AsyncIterator[StreamedHttpResponse]:
    """:func:`http_request`, but the body is read as it arrives (a local port's download).

    The relay's own refusals are raised before anything is yielded (their
    bodies are small and decide who answered, §7.1); the listener's answer
    is yielded with its body unread. Arguments and errors as
    :func:`http_request`.
    """
    method, request_headers = _check(method, headers)
    if not (timeout > 0 and math.isfinite(timeout)):
        # aiohttp reads 0, negative and NaN as "no timeout" and overflows on inf.
        raise InvalidInput("timeout", "must be a positive, finite number of seconds")
    url = address.http_url(suffix=path_suffix, query=query)
    access = await token_provider.get_token()
    token = access.value.reveal()
    identity = access.info().kind if token else "anonymous"
    if token:
        request_headers[AUTH_HEADER] = token
    request_headers.setdefault("User-Agent", USER_AGENT)
    via = HttpProxy.for_url(proxy, url)

    def translated(exc: BaseException) -> Exception:
        return via.error(exc, address.namespace)

    started = time.monotonic()
    async with contextlib.AsyncExitStack() as stack:
        try:
            if session is None:
                session = await stack.enter_async_context(
                    aiohttp.ClientSession(
                        connector=via.connector(ssl_context if ssl_context else True),
                        auto_decompress=False,
                    )
                )
            response = await stack.enter_async_context(
                session.request(
                    method,
                    url,
                    headers=request_headers,
                    data=_payload(body),
                    expect100=False,
                    timeout=aiohttp.ClientTimeout(total=timeout),
                    **via.kwargs(),
                )
            )
            # A refusal's body decides who answered (§7.1): read those whole.
            read = await response.read() if response.status >= 400 else None
        except via.errors as exc:
            raise translated(exc) from exc
        streamed = StreamedHttpResponse(
            status=response.status,
            reason=header_text(response.reason or ""),
            headers=MappingProxyType(_joined(response.headers)),
            url=display_url(url),
            method=method,
            via=response.headers.get("Via"),
            started=started,
            _response=response,
            _read=read,
            _error=translated,
        )
        if read is not None and is_service_error(
            streamed.status, streamed.reason, read, streamed.headers
        ):
            error = handshake_error(
                streamed.status, streamed.reason, read, headers=streamed.headers
            )
            raise with_remedy(error, side="sender", identity=identity)
        yield streamed
