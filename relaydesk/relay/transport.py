"""Open WebSockets to the relay with the settings every channel shares.

Control channels (§4.1), rendezvous sockets (§5.2, §7.4) and WebSocket
senders (§6) all open the same way: TLS with the caller's context, no
compression (§5.2: RelayDesk does not negotiate extensions), a large
message limit, WebSocket pings as keep-alive (§4.5), the token only in the
``ServiceBusAuthorization`` header (§3), and every failure translated into a
typed :mod:`relaydesk.errors` exception.
"""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from relaydesk import __version__
from relaydesk.errors import InvalidAddress, RelayUnreachable
from relaydesk.protocol.address import split_host_port
from relaydesk.protocol.text import is_text
from relaydesk.protocol.wire_names import AUTH_HEADER
from relaydesk.proxy import ProxySettings
from relaydesk.relay.failures import translate_ws_error
from relaydesk.relay.proxy_failures import websocket_proxy_error
from relaydesk.relay.redact import RedactingLogger

__all__ = ["USER_AGENT", "WebSocketSettings", "check_url", "display_url", "open_websocket"]

#: Sent as ``User-Agent`` on every handshake.
USER_AGENT = f"relaydesk/{__version__}"

_WS_LOGGER = RedactingLogger(logging.getLogger("relaydesk.relay.websockets"), {})


@dataclass(frozen=True)
class WebSocketSettings:
    """Timeouts and limits for one kind of WebSocket.

    Attributes:
        open_timeout: seconds for TCP + TLS + upgrade.
        ping_interval: seconds between keep-alive pings (§4.5: ≤ 3.5 min;
            ``None`` disables them).
        ping_timeout: seconds to wait for the pong before the channel counts
            as dead (closed with 1011, seen as a drop).
        close_timeout: seconds to wait for the peer's close frame.
        max_size: largest accepted message in bytes (``None`` = no limit).
        proxy: how to reach the relay (:mod:`relaydesk.proxy`); ``None`` is the
            system mode (environment / OS settings).
    """

    open_timeout: float = 30.0
    ping_interval: float | None = 210.0
    ping_timeout: float | None = 30.0
    close_timeout: float = 2.0
    max_size: int | None = 64 * 1024 * 1024
    proxy: ProxySettings | None = None


def display_url(url: str) -> str:
    """``url`` without its query (rendezvous ids are capabilities)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


#: Characters a URL never holds unencoded; in a request line they would split it.
_URL_BREAKERS = re.compile(r"[\x00-\x20\x7f]")


def check_url(url: str) -> None:
    """Refuse a URL no WebSocket can be opened to, with the error any bad URL gets.

    Rendezvous addresses come from the relay and are used verbatim (§5.1,
    §7.2). A malformed one (a broken IPv6 bracket, a port out of range, a DNS
    label over 63 characters, a lone surrogate, a control character) would
    otherwise fail inside urllib, websockets or the idna codec with a bare
    ``ValueError``/``UnicodeError``. The host rule is the protocol core's
    (:func:`relaydesk.protocol.address.split_host_port`).

    Raises:
        RelayUnreachable: the URL is not a ``ws``/``wss`` URL that can be used.
    """
    problem = "it holds spaces, control characters or bytes that are not text"
    if is_text(url) and not _URL_BREAKERS.search(url):
        try:
            parts = urlsplit(url)
            if parts.scheme not in ("ws", "wss"):
                problem = "it is not a ws:// or wss:// URL"
            else:
                split_host_port(parts.netloc)
                return
        except ValueError:  # urllib's answer to a bad IPv6 literal or port
            problem = "its host or port is not valid"
        except InvalidAddress as exc:
            problem = exc.reason
    raise RelayUnreachable(f"a WebSocket URL is not valid: {problem}")


def where_of(url: str) -> str:
    """The ``host:port`` of ``url`` for error messages."""
    return urlsplit(url).netloc or url


async def open_websocket(
    url: str,
    *,
    ssl_context: ssl.SSLContext | None,
    settings: WebSocketSettings,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    subprotocols: Sequence[str] | None = None,
) -> ClientConnection:
    """Open a WebSocket to the relay.

    Args:
        url: the ``wss://`` URL (never carrying a token).
        ssl_context: TLS trust; ``None`` uses the system defaults.
        settings: timeouts and limits.
        token: put in ``ServiceBusAuthorization`` (§3) when not empty.
        headers: extra request headers (surface in ``connectHeaders``, §6).
        subprotocols: ``Sec-WebSocket-Protocol`` values to offer.

    Raises:
        HandshakeFailed: the relay or the listener refused (typed by status).
        ProxyError: the proxy on the way failed (``settings.proxy``).
        RelayUnreachable: TCP, TLS or timeout failure; a URL that is not valid.
    """
    check_url(url)
    request_headers: dict[str, str] = dict(headers or {})
    if token:
        request_headers[AUTH_HEADER] = token
    route = (settings.proxy or ProxySettings()).route(url)
    try:
        return await connect(
            url,
            proxy=route.url_with_credentials() if route is not None else None,
            ssl=ssl_context if ssl_context is not None else True,
            additional_headers=request_headers,
            user_agent_header=USER_AGENT,
            compression=None,
            subprotocols=[Subprotocol(p) for p in subprotocols] if subprotocols else None,
            open_timeout=settings.open_timeout,
            ping_interval=settings.ping_interval,
            ping_timeout=settings.ping_timeout,
            close_timeout=settings.close_timeout,
            max_size=settings.max_size,
            logger=_WS_LOGGER,
        )
    except Exception as exc:
        if route is not None:
            proxy_error = websocket_proxy_error(exc, route, where_of(url))
            if proxy_error is not None:
                raise proxy_error from exc
        error = translate_ws_error(exc, where_of(url))
        if error is None:
            raise
        raise error from exc
