"""aiohttp requests through the chosen proxy, and their failures as typed errors.

aiohttp tunnels ``https://`` through an ``http://`` proxy with ``CONNECT``
(``proxy=``, Basic credentials in ``proxy_headers``); the session's
``trust_env`` stays off so that only :mod:`relaydesk.proxy` decides.
aiohttp has no SOCKS support of its own (``aiohttp-socks`` adds it, not
installed): a SOCKS route fails with a clear :class:`~relaydesk.errors.ProxyError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from relaydesk.errors import RelayUnreachable
from relaydesk.proxy import ProxyRoute, ProxySettings, unsupported
from relaydesk.relay.failures import unreachable_error
from relaydesk.relay.proxy_failures import aiohttp_proxy_error

__all__ = ["HttpProxy", "root_cause"]


@dataclass(frozen=True)
class HttpProxy:
    """The proxy route of one aiohttp request (``route`` ``None``: direct)."""

    route: ProxyRoute | None
    target: str

    @classmethod
    def for_url(cls, settings: ProxySettings | None, url: str) -> HttpProxy:
        """Resolve ``settings`` (``None`` = system mode) for ``url``.

        Raises:
            InvalidField: the proxy configuration is unusable.
            ProxyError: a SOCKS proxy (aiohttp cannot use one without aiohttp-socks).
        """
        route = (settings or ProxySettings()).route(url)
        parts = urlsplit(url)
        target = f"{parts.hostname}:{parts.port or 443}"
        if route is not None and not route.scheme.startswith("http"):
            raise unsupported(route, target, "HTTP requests", "aiohttp-socks")
        return cls(route, target)

    def kwargs(self) -> dict[str, Any]:
        """``proxy=`` (and the Basic ``Proxy-Authorization``) for ``session.request``."""
        if self.route is None:
            return {}
        if self.route.username is None:
            return {"proxy": self.route.url}
        password = self.route.password.reveal() if self.route.password else ""
        header = aiohttp.encode_basic_auth(self.route.username, password)
        return {"proxy": self.route.url, "proxy_headers": {"Proxy-Authorization": header}}

    def error(self, exc: BaseException, where: str) -> RelayUnreachable:
        """The typed error for a failed request: the proxy's, else unreachable."""
        if self.route is not None:
            proxy_error = aiohttp_proxy_error(exc, self.route, self.target)
            if proxy_error is not None:
                return proxy_error
        return unreachable_error(root_cause(exc), where)


def root_cause(exc: BaseException) -> BaseException:
    """The socket/TLS error under an aiohttp wrapper, for a precise message."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return exc.certificate_error
    if isinstance(exc, aiohttp.ClientConnectorError):
        return exc.os_error
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
        return TimeoutError()
    return exc
