"""Typed proxy errors from what websockets and aiohttp raise (see :mod:`relaydesk.proxy`).

Only called when a connection went through a proxy; ``None`` means "not the
proxy's doing" and the caller's usual translation applies
(:mod:`relaydesk.relay.failures`).

* The proxy could not be reached (refused, unknown host): ProxyUnreachable.
* The proxy answered ``CONNECT`` with 407: ProxyAuthRequired; with any other
  non-2xx status: ProxyRefused.
* TLS with the relay failed inside the tunnel: ProxyTlsFailed (the remedy
  points at TLS inspection).
"""

from __future__ import annotations

import socket
import ssl

from websockets.exceptions import InvalidProxyMessage, InvalidProxyStatus
from websockets.exceptions import ProxyError as WsProxyError

from relaydesk.errors import ProxyError
from relaydesk.protocol.redaction import redact_text as redact
from relaydesk.proxy import (
    ProxyRoute,
    refused,
    socks_refused,
    tls_failed,
    unreachable,
    unsupported,
)

__all__ = ["aiohttp_proxy_error", "websocket_proxy_error"]


def _tls_cause(exc: ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {exc.verify_message}"
    return str(exc.reason or exc)


def _socks_error(exc: BaseException, route: ProxyRoute, target: str) -> ProxyError | None:
    """python-socks' errors (SOCKS routes of websockets and aiohttp-socks)."""
    import python_socks

    down: tuple[type[BaseException], ...] = (
        python_socks.ProxyConnectionError,
        python_socks.ProxyTimeoutError,
    )
    refusing: tuple[type[BaseException], ...] = (python_socks.ProxyError,)
    if route.scheme.startswith("socks"):
        import aiohttp_socks  # its own copies of the same three errors

        down += (aiohttp_socks.ProxyConnectionError, aiohttp_socks.ProxyTimeoutError)
        refusing += (aiohttp_socks.ProxyError,)
    if isinstance(exc, down):
        return unreachable(route, target, str(exc) or type(exc).__name__)
    if isinstance(exc, refusing):
        return socks_refused(route, target, str(exc))
    return None


def _socket_cause(exc: OSError) -> str | None:
    """The cause when ``exc`` means the proxy itself was not reached."""
    if isinstance(exc, socket.gaierror):
        return f"unknown host: {exc.strerror or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return None


def websocket_proxy_error(exc: BaseException, route: ProxyRoute, target: str) -> ProxyError | None:
    """Map an exception of ``websockets.asyncio.client.connect(proxy=…)``."""
    if isinstance(exc, InvalidProxyStatus):
        response = exc.response
        return refused(route, target, response.status_code, redact(response.reason_phrase))
    if isinstance(exc, InvalidProxyMessage):
        return ProxyError(
            f"{route.url} did not answer like an HTTP proxy",
            proxy=route.url,
            target=target,
            remedy="Check that the proxy address is an HTTP proxy (not a web server).",
        )
    if isinstance(exc, WsProxyError) and exc.__cause__ is not None:
        socks = _socks_error(exc.__cause__, route, target)
        if socks is not None:
            return socks
    if isinstance(exc, ImportError):
        return unsupported(route, target, "WebSockets", "python-socks")
    socks = _socks_error(exc, route, target)
    if socks is not None:
        return socks
    if isinstance(exc, ssl.SSLError):
        return tls_failed(route, target, _tls_cause(exc))
    if isinstance(exc, OSError):
        cause = _socket_cause(exc)
        return unreachable(route, target, cause) if cause else None
    return None


def aiohttp_proxy_error(exc: BaseException, route: ProxyRoute, target: str) -> ProxyError | None:
    """Map an exception of an aiohttp request made with ``proxy=``.

    aiohttp is imported here, not at the top: WebSocket-only commands
    (``relaydesk send``) must start without it.
    """
    import aiohttp

    inner = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    socks = _socks_error(inner, route, target)
    if socks is not None:
        return socks
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return refused(route, target, exc.status, redact(exc.message or ""))
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        cause = _socket_cause(exc.os_error) or (exc.os_error.strerror or "connection failed")
        return unreachable(route, target, cause)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        error = exc.certificate_error
        cause = _tls_cause(error) if isinstance(error, ssl.SSLError) else str(error)
        return tls_failed(route, target, cause)
    if isinstance(exc, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError):
        return tls_failed(route, target, "TLS handshake failed")
    return None
