"""aiohttp requests through the chosen proxy, and their failures as typed errors.

aiohttp tunnels ``https://`` through an ``http://`` proxy with ``CONNECT``
(``proxy=``, Basic credentials in ``proxy_headers``); the session's
``trust_env`` stays off so that only :mod:`relaydesk.proxy` decides. A SOCKS5
route needs the session's connector instead: ``aiohttp-socks``'
``ProxyConnector`` (:meth:`HttpProxy.connector`); a caller that brings its own
session (a local port) gets a clear error for SOCKS routes.
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
        return cls(route, f"{parts.hostname}:{parts.port or 443}")

    @property
    def socks(self) -> bool:
        return self.route is not None and self.route.scheme.startswith("socks")

    def connector(self, ssl: Any) -> aiohttp.BaseConnector:
        """The session's connector: through the SOCKS proxy, else a plain TCP one."""
        if not self.socks:
            return aiohttp.TCPConnector(ssl=ssl)
        assert self.route is not None
        try:
            from aiohttp_socks import ProxyConnector
        except ImportError:
            raise unsupported(self.route, self.target, "HTTP requests", "aiohttp-socks") from None
        # rdns: the proxy resolves the relay's name, as socks5h:// asks.
        return ProxyConnector.from_url(self.route.url_with_credentials(), ssl=ssl, rdns=True)

    def check_session(self, session: aiohttp.ClientSession | None) -> None:
        """A session brought by the caller cannot be made to go through SOCKS."""
        if session is not None and self.socks:
            assert self.route is not None
            raise unsupported(self.route, self.target, "a shared HTTP session", "an http:// proxy")

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        """What a request through this route raises when the path fails."""
        failures: tuple[type[BaseException], ...] = (aiohttp.ClientError, OSError, TimeoutError)
        if self.socks:
            import aiohttp_socks
            import python_socks

            failures += (
                python_socks.ProxyError,
                python_socks.ProxyConnectionError,
                python_socks.ProxyTimeoutError,
                aiohttp_socks.ProxyError,
                aiohttp_socks.ProxyConnectionError,
                aiohttp_socks.ProxyTimeoutError,
            )
        return failures

    def kwargs(self) -> dict[str, Any]:
        """``proxy=`` (and the Basic ``Proxy-Authorization``) for ``session.request``."""
        if self.route is None or self.socks:
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
