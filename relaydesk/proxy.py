"""Which proxy a connection goes through: system, explicit or none.

Three modes, the same for the CLI, profiles and the GUI:

* ``system`` (default): the environment as curl and requests read it —
  ``https_proxy``/``HTTPS_PROXY`` for https/wss targets, ``http_proxy``/
  ``HTTP_PROXY`` for http targets, ``all_proxy``/``ALL_PROXY`` for both when
  the specific one is unset, and ``no_proxy``/``NO_PROXY`` (``*``, host names
  and domain suffixes, IP addresses and CIDR ranges, optional ``:port``).
  Without any proxy variable, Python's ``urllib.request.getproxies()`` and
  ``proxy_bypass()`` read the OS settings on Windows (registry) and macOS
  (System Configuration); the GUI may resolve the OS choice (PAC included)
  through Qt and pass it as an explicit route. Loopback gets no exception of
  its own: like curl and requests, only ``NO_PROXY`` exempts it.
* ``explicit``: one ``http://`` or ``socks5://`` proxy for every
  connection, whatever the environment says.
* ``none``: direct connections, whatever the environment says.

Basic proxy authentication: the user name belongs to the configuration
(profile, ``--proxy-user``), the password is a :class:`~relaydesk.secrets.Secret`
(OS keyring, environment variable) and only ever joins the URL in
:meth:`ProxyRoute.url_with_credentials`, which is handed to the libraries
and never displayed. Credentials inside ``HTTPS_PROXY`` are honoured and
hidden the same way.

This module only decides; the libraries connect (websockets
``connect(proxy=…)``, aiohttp ``proxy=``/``proxy_auth=``, requests
``proxies=``). SOCKS5 goes through ``python-socks`` (websockets), ``aiohttp-socks``
(aiohttp) and ``PySocks`` (requests); were one of them missing, a
``socks5://`` route fails with an error that names the package.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from relaydesk.errors import (
    InvalidField,
    ProxyAuthRequired,
    ProxyError,
    ProxyRefused,
    ProxyTlsFailed,
    ProxyUnreachable,
)
from relaydesk.secrets import Secret

__all__ = [
    "PROXY_MODES",
    "ProxyMode",
    "ProxyRoute",
    "ProxySettings",
    "bypasses",
    "parse_proxy_url",
    "refused",
    "socks_refused",
    "system_route",
    "tls_failed",
    "unreachable",
    "unsupported",
]

ProxyMode = Literal["system", "explicit", "none"]
PROXY_MODES: tuple[ProxyMode, ...] = ("system", "explicit", "none")
_SCHEMES = ("http", "https", "socks5", "socks5h")
_DEFAULT_PORTS = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080}


@dataclass(frozen=True)
class ParsedProxy:
    """A proxy URL split into its display-safe part and its credentials."""

    url: str
    username: str | None = None
    password: Secret | None = field(default=None, repr=False)


def parse_proxy_url(text: str, *, field_name: str = "proxy") -> ParsedProxy:
    """Check and split ``scheme://[user:password@]host:port``.

    Raises:
        InvalidField: ``field_name`` when the scheme is not http/https/socks5,
            the host is missing, the port is invalid, or a path/query is given.
    """
    raw = text.strip()
    if "://" not in raw:
        raw = "http://" + raw  # "proxy:3128", as curl accepts it
    try:
        parts = urllib.parse.urlsplit(raw)
        host = parts.hostname
    except ValueError:
        raise InvalidField(field_name, "the proxy URL is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise InvalidField(
            field_name, f"the proxy scheme {scheme!r} is not supported (use http:// or socks5://)"
        )
    try:
        port = _DEFAULT_PORTS[scheme] if parts.port is None else parts.port
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise InvalidField(field_name, "the proxy port is not a number from 1 to 65535")
    if not host or any(c.isspace() or c in "/\\@" for c in host):
        raise InvalidField(field_name, "the proxy URL has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidField(field_name, "a proxy URL is scheme://host:port, without a path")
    shown_host = f"[{host}]" if ":" in host else host
    username = urllib.parse.unquote(parts.username) if parts.username else None
    password = Secret(urllib.parse.unquote(parts.password)) if parts.password else None
    return ParsedProxy(f"{scheme}://{shown_host}:{port}", username, password)


@dataclass(frozen=True)
class ProxyRoute:
    """The proxy one connection goes through.

    Attributes:
        url: ``scheme://host:port``, display-safe (never credentials).
        username: Basic user name, or ``None``.
        password: the Basic password (hidden from ``repr``).
        source: where the choice came from, for diagnosis: ``"explicit"``,
            ``"HTTPS_PROXY"``, ``"ALL_PROXY"``, ``"HTTP_PROXY"`` or ``"system settings"``.
    """

    url: str
    username: str | None = None
    password: Secret | None = field(default=None, repr=False)
    source: str = "explicit"

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0]

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.url).port or _DEFAULT_PORTS[self.scheme]

    def url_with_credentials(self) -> str:
        """The URL with ``user:password@`` for the libraries. Never display it."""
        if self.username is None:
            return self.url
        user = urllib.parse.quote(self.username, safe="")
        secret = urllib.parse.quote(self.password.reveal() if self.password else "", safe="")
        scheme, rest = self.url.split("://", 1)
        return f"{scheme}://{user}:{secret}@{rest}"

    def describe(self) -> str:
        """``http://proxy:3128 (from HTTPS_PROXY, user alice)`` — no password."""
        user = f", user {self.username}" if self.username else ""
        return f"{self.url} (from {self.source}{user})"


@dataclass(frozen=True)
class ProxySettings:
    """The proxy mode of a profile or command, with the password if any.

    Attributes:
        mode: ``"system"``, ``"explicit"`` or ``"none"``.
        url: the explicit proxy (``explicit`` mode only), display-safe.
        username: Basic user name for the explicit proxy (or to add to a
            system proxy that has none in its URL).
        password: the Basic password.
    """

    mode: ProxyMode = "system"
    url: str | None = None
    username: str | None = None
    password: Secret | None = field(default=None, repr=False)

    @classmethod
    def explicit(
        cls, url: str, *, username: str | None = None, password: Secret | None = None
    ) -> ProxySettings:
        """An explicit proxy; credentials in ``url`` are split off it.

        Raises:
            InvalidField: ``proxy`` when the URL is unusable.
        """
        parsed = parse_proxy_url(url)
        return cls(
            "explicit",
            parsed.url,
            username or parsed.username,
            password or parsed.password,
        )

    def route(self, target_url: str) -> ProxyRoute | None:
        """The proxy for a connection to ``target_url``, or ``None`` for direct.

        Raises:
            InvalidField: ``proxy`` when the mode is explicit without a URL, or
                the environment names an unusable proxy.
        """
        if self.mode == "none":
            return None
        if self.mode == "explicit":
            if not self.url:
                raise InvalidField("proxy", "the explicit proxy mode needs a proxy URL")
            parsed = parse_proxy_url(self.url)
            return ProxyRoute(parsed.url, self.username, self.password, "explicit")
        route = system_route(target_url)
        if route is not None and route.username is None and self.username:
            return ProxyRoute(route.url, self.username, self.password, route.source)
        return route

    def describe(self) -> str:
        """The mode for display: ``system``, ``none``, ``explicit http://p:3128``."""
        if self.mode == "explicit":
            user = f" (user {self.username})" if self.username else ""
            return f"explicit {self.url}{user}"
        return self.mode


def system_route(target_url: str) -> ProxyRoute | None:
    """The proxy the environment (or the OS settings) chooses for ``target_url``."""
    if not _may_name_a_proxy(os.environ, sys.platform):
        return None
    parts = urllib.parse.urlsplit(target_url)
    host = parts.hostname or ""
    secure = parts.scheme in ("https", "wss")
    port = parts.port or (443 if secure else 80)
    environment = urllib.request.getproxies_environment()
    from_env = any(k != "no" for k in environment)
    proxies = environment if from_env else urllib.request.getproxies()
    wanted = "https" if secure else "http"
    chosen = proxies.get(wanted) or proxies.get("all")
    if not chosen:
        return None
    if from_env:
        if bypasses(environment.get("no", ""), host, port):
            return None
    elif urllib.request.proxy_bypass(host):
        return None
    source = _source_name(proxies, wanted, from_env)
    try:
        parsed = parse_proxy_url(chosen, field_name=source)
    except InvalidField as exc:
        raise InvalidField("proxy", f"{source}: {exc.reason}") from None
    return ProxyRoute(parsed.url, parsed.username, parsed.password, source)


def _may_name_a_proxy(environ: Mapping[str, str], platform: str) -> bool:
    """Whether the environment or the OS settings could name a proxy.

    False when no ``*_proxy`` variable but ``no_proxy`` is set (the names
    :func:`urllib.request.getproxies_environment` reads, in any case) and the
    platform has no OS settings (only Windows and macOS do): then the route
    is direct without loading :mod:`urllib.request`, which a one-shot
    command would otherwise import for this answer alone (see
    :mod:`relaydesk.deferred_imports`).
    """
    if platform in ("win32", "darwin"):
        return True
    return any(
        value and name.lower().endswith("_proxy") and name.lower() != "no_proxy"
        for name, value in environ.items()
    )


def _source_name(proxies: dict[str, str], wanted: str, from_env: bool) -> str:
    if not from_env:
        return "system settings"
    key = wanted if proxies.get(wanted) else "all"
    lower = f"{key}_proxy"
    return lower.upper() if lower not in os.environ else lower


def bypasses(no_proxy: str, host: str, port: int) -> bool:
    """Whether ``NO_PROXY`` exempts ``host:port`` (curl's and requests' rules).

    Entries are comma (or space) separated: ``*`` exempts everything; an IP
    address or CIDR range matches addresses; a name matches itself and its
    subdomains (a leading ``.`` or ``*.`` is optional); ``:port`` limits an
    entry to one port. Matching ignores case.
    """
    host = host.strip("[]").lower()
    for raw in no_proxy.replace(" ", ",").split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry, entry_port = _split_port(entry)
        if entry_port is not None and entry_port != port:
            continue
        if _matches(entry, host):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        inside, _, rest = entry[1:].partition("]")
        return inside, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        if port.isdigit():
            return name, int(port)
    return entry, None


def _matches(entry: str, host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        try:
            return address in ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return False
    name = entry.removeprefix("*").lstrip(".")
    return bool(name) and (host == name or host.endswith("." + name))


def refused(route: ProxyRoute, target: str, status: int, reason: str = "") -> ProxyError:
    """The error for a proxy's answer ``status`` to ``CONNECT target``.

    407 means credentials (tinyproxy answers wrong ones with 401: a CONNECT
    answer is always the proxy's, so 401 means the same); anything else is the
    proxy refusing the host (its own 403/502/503 …: a CONNECT answer never
    carries Azure's TrackingId).
    """
    detail = f" {reason}" if reason else ""
    if status in (401, 407):
        who = f" for user {route.username}" if route.username else " (no credentials were sent)"
        return ProxyAuthRequired(
            f"the proxy {route.url} asks for authentication{who}: HTTP {status}{detail}",
            proxy=route.url,
            target=target,
        )
    return ProxyRefused(
        f"the proxy {route.url} refused to connect to {target}: HTTP {status}{detail} "
        "(the proxy's answer, not Azure's: no TrackingId)",
        proxy=route.url,
        target=target,
        status=status,
    )


def socks_refused(route: ProxyRoute, target: str, reason: str) -> ProxyError:
    """The error for a SOCKS proxy that would not connect to ``target``.

    SOCKS has no HTTP status: the proxy's reason decides between credentials
    (authentication) and a refusal (status 0).
    """
    if "auth" in reason.lower() or "password" in reason.lower():
        return ProxyAuthRequired(
            f"the SOCKS proxy {route.url} refused the credentials ({reason})",
            proxy=route.url,
            target=target,
        )
    return ProxyRefused(
        f"the SOCKS proxy {route.url} refused to connect to {target} ({reason})",
        proxy=route.url,
        target=target,
        status=0,
    )


def unreachable(route: ProxyRoute, target: str, cause: str) -> ProxyUnreachable:
    """The error for a proxy that could not be reached at all."""
    return ProxyUnreachable(
        f"cannot connect to the proxy {route.url} ({cause})", proxy=route.url, target=target
    )


def tls_failed(route: ProxyRoute, target: str, cause: str) -> ProxyTlsFailed:
    """The error for a TLS failure with ``target`` inside the proxy's tunnel."""
    return ProxyTlsFailed(
        f"TLS with {target} failed through the proxy {route.url} ({cause})",
        proxy=route.url,
        target=target,
    )


def unsupported(route: ProxyRoute, target: str, library: str, package: str) -> ProxyError:
    """A SOCKS proxy where ``library`` needs ``package``, which is not installed."""
    return ProxyError(
        f"{route.scheme}:// proxies need the {package} package for {library}",
        proxy=route.url,
        target=target,
        remedy=f"Install {package} (pip install {package}) or use an http:// proxy.",
    )
