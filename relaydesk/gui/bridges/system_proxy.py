"""The system proxy for the desktop app on Windows and macOS, as Qt resolves it.

In the ``system`` mode, ``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY`` decide
wherever they are set (curl's and requests' rule, :mod:`relaydesk.proxy`).
Without them, on Windows and macOS the desktop app asks Qt
(``QNetworkProxyFactory.systemProxyForQuery``), which follows the OS settings
including PAC scripts and WPAD, for the namespace's URL, and uses its answer
as an explicit proxy (keeping the profile's proxy user and password) for
every connection of the profile. On Linux the environment is the system
setting. The CLI has no Qt: it uses Python's reading of the OS settings.
"""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from relaydesk.proxy import ProxySettings
from relaydesk.secrets import Secret

__all__ = ["qt_system_proxies", "resolve_for_gui", "settings_from_qt"]

#: Platforms whose OS proxy settings Qt reads (and Python's environment does not hold).
QT_PLATFORMS = frozenset({"win32", "darwin"})


def qt_system_proxies(url: str) -> list[Any]:
    """Qt's answer for ``url``: a list of ``QNetworkProxy``, best first."""
    from PySide6.QtCore import QUrl
    from PySide6.QtNetwork import QNetworkProxyFactory, QNetworkProxyQuery

    return list(QNetworkProxyFactory.systemProxyForQuery(QNetworkProxyQuery(QUrl(url))))


def settings_from_qt(proxies: Sequence[Any], base: ProxySettings) -> ProxySettings:
    """Turn Qt's first proxy into :class:`ProxySettings` (the profile's user kept)."""
    from PySide6.QtNetwork import QNetworkProxy

    if not proxies:
        return base
    first = proxies[0]
    kind = first.type()
    if kind == QNetworkProxy.ProxyType.NoProxy:
        return ProxySettings("none")
    schemes = {
        QNetworkProxy.ProxyType.HttpProxy: "http",
        QNetworkProxy.ProxyType.Socks5Proxy: "socks5",
    }
    scheme = schemes.get(kind)
    if scheme is None or not first.hostName():
        return base  # DefaultProxy, caching or FTP proxies: nothing to add
    user = base.username or first.user() or None
    password = base.password or (Secret(first.password()) if first.password() else None)
    return ProxySettings.explicit(
        f"{scheme}://{first.hostName()}:{first.port()}", username=user, password=password
    )


def resolve_for_gui(
    settings: ProxySettings | None,
    url: str,
    *,
    platform: str = sys.platform,
    query: Callable[[str], list[Any]] = qt_system_proxies,
) -> ProxySettings | None:
    """The settings the GUI uses for a profile whose relay is at ``url``.

    Only the ``system`` mode on Windows/macOS without proxy variables changes:
    Qt's choice for ``url`` becomes an explicit proxy (or ``none``).
    """
    current = settings or ProxySettings()
    if current.mode != "system" or platform not in QT_PLATFORMS:
        return settings
    if any(name != "no" for name in urllib.request.getproxies_environment()):
        return settings
    return settings_from_qt(query(url), current)
