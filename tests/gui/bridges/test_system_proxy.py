"""The GUI's system proxy on Windows/macOS: Qt's answer becomes the profile's route."""

from __future__ import annotations

import pytest
from PySide6.QtNetwork import QNetworkProxy

from relaydesk.gui.bridges.system_proxy import qt_system_proxies, resolve_for_gui, settings_from_qt
from relaydesk.proxy import ProxySettings
from relaydesk.secrets import Secret

pytestmark = pytest.mark.gui

_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*_VARS, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_qt_http_and_socks_proxies_become_explicit_routes_keeping_the_profile_user() -> None:
    base = ProxySettings(username="erin", password=Secret("pw"))
    http = QNetworkProxy(QNetworkProxy.ProxyType.HttpProxy, "proxy.corp", 3128)
    settings = settings_from_qt([http], base)
    route = settings.route("wss://ns.servicebus.windows.net/$hc/demo")
    assert route is not None and route.url == "http://proxy.corp:3128"
    assert route.username == "erin" and route.url_with_credentials().endswith(
        "erin:pw@proxy.corp:3128"
    )
    socks = QNetworkProxy(QNetworkProxy.ProxyType.Socks5Proxy, "socks.corp", 1080, "qt-user", "qt")
    route = settings_from_qt([socks], ProxySettings()).route("https://ns/x")
    assert route is not None and route.url == "socks5://socks.corp:1080"
    assert route.username == "qt-user"
    direct = settings_from_qt([QNetworkProxy(QNetworkProxy.ProxyType.NoProxy)], base)
    assert direct.mode == "none"
    assert settings_from_qt([], base) is base


def test_only_the_system_mode_on_windows_and_macos_asks_qt(
    no_proxy_env: pytest.MonkeyPatch, qapp: object
) -> None:
    url = "https://ns.servicebus.windows.net/"
    explicit = ProxySettings.explicit("http://mine:1")
    assert resolve_for_gui(explicit, url, platform="darwin") is explicit
    assert resolve_for_gui(None, url, platform="linux") is None
    # Qt's real answer here (no OS proxy configured on this machine): direct.
    resolved = resolve_for_gui(None, url, platform="darwin")
    assert qt_system_proxies(url)[0].type() == QNetworkProxy.ProxyType.NoProxy
    assert resolved is not None and resolved.mode == "none"
    # Proxy variables win over the OS settings, as for curl.
    no_proxy_env.setenv("HTTPS_PROXY", "http://env.corp:8080")
    assert resolve_for_gui(None, url, platform="win32") is None
