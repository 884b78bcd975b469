"""Proxy modes, NO_PROXY matching and credential hiding (relaydesk.proxy)."""

from __future__ import annotations

import os
import sys
import urllib.request
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.errors import InvalidField, ProxyAuthRequired, ProxyRefused
from relaydesk.proxy import (
    ProxyRoute,
    ProxySettings,
    bypasses,
    parse_proxy_url,
    refused,
    system_route,
)
from relaydesk.secrets import Secret

_PROXY_VARS = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("text", "url", "user"),
    [
        ("http://proxy.corp:3128", "http://proxy.corp:3128", None),
        ("proxy.corp:8080", "http://proxy.corp:8080", None),
        ("HTTP://Proxy.Corp", "http://proxy.corp:80", None),
        ("socks5://127.0.0.1:1080/", "socks5://127.0.0.1:1080", None),
        ("http://al%40ice:p%3Ass@[::1]:3128", "http://[::1]:3128", "al@ice"),
    ],
)
def test_parse_splits_credentials_off(text: str, url: str, user: str | None) -> None:
    parsed = parse_proxy_url(text)
    assert parsed.url == url
    assert parsed.username == user
    if user:
        assert parsed.password is not None and parsed.password.reveal() == "p:ss"
        assert "p:ss" not in repr(parsed) and "p%3Ass" not in repr(parsed)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("ftp://proxy:21", "not supported"),
        ("http://:3128", "no host"),
        ("http://proxy:99999", "port"),
        ("http://proxy:0", "port"),
        ("http://proxy:3128/path", "without a path"),
    ],
)
def test_parse_rejects_unusable_urls_naming_the_field(text: str, why: str) -> None:
    with pytest.raises(InvalidField, match=why) as caught:
        parse_proxy_url(text)
    assert caught.value.field == "proxy"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_parse_never_fails_otherwise_and_never_shows_a_password(text: str) -> None:
    try:
        parsed = parse_proxy_url(text)
    except InvalidField:
        return
    assert "@" not in parsed.url
    assert parsed.url.split("://")[0] in ("http", "https", "socks5", "socks5h")


@pytest.mark.parametrize(
    ("no_proxy", "host", "port", "bypassed"),
    [
        ("*", "anything.example", 443, True),
        ("127.0.0.1", "127.0.0.1", 443, True),
        ("127.0.0.1", "127.0.0.2", 443, False),
        ("127.0.0.0/8", "127.0.0.2", 443, True),
        ("localhost", "localhost", 5000, True),
        ("::1", "::1", 443, True),
        ("[::1]:443", "::1", 443, True),
        ("example.com", "ns.example.com", 443, True),
        (".example.com", "ns.example.com", 443, True),
        ("*.example.com", "example.com", 443, True),
        ("example.com", "badexample.com", 443, False),
        ("servicebus.windows.net:443", "ns.servicebus.windows.net", 443, True),
        ("servicebus.windows.net:8443", "ns.servicebus.windows.net", 443, False),
        ("a.test, b.test", "x.b.test", 443, True),
        ("", "127.0.0.1", 443, False),
    ],
)
def test_no_proxy_rules(no_proxy: str, host: str, port: int, bypassed: bool) -> None:
    assert bypasses(no_proxy, host, port) is bypassed


def test_system_mode_reads_https_then_all_proxy_and_no_proxy(
    clean_env: pytest.MonkeyPatch,
) -> None:
    system = ProxySettings()
    assert system.route("wss://ns.servicebus.windows.net/$hc/x") is None
    clean_env.setenv("ALL_PROXY", "http://all.corp:1")
    clean_env.setenv("HTTP_PROXY", "http://plain.corp:2")
    route = system.route("https://ns.servicebus.windows.net/x")
    assert route is not None and route.url == "http://all.corp:1" and route.source == "ALL_PROXY"
    clean_env.setenv("https_proxy", "http://bob:pw@secure.corp:3")
    route = system.route("wss://ns.servicebus.windows.net/$hc/x")
    assert route is not None and route.url == "http://secure.corp:3"
    assert route.source == "https_proxy" and route.username == "bob"
    assert "pw" not in repr(route) and "pw" not in route.describe()
    assert route.url_with_credentials() == "http://bob:pw@secure.corp:3"
    plain = system.route("http://ns.example/x")
    assert plain is not None and plain.url == "http://plain.corp:2"


_PROXY_NAMES = ("HTTPS_PROXY", "https_proxy", "Https_Proxy", "ALL_PROXY", "http_proxy")
_OTHER_NAMES = ("NO_PROXY", "no_proxy", "FTP_PROXY", "_proxy", "PROXY", "REQUEST_METHOD", "HOME")
_VARIABLES = st.one_of(
    st.tuples(st.sampled_from(_PROXY_NAMES), st.sampled_from(("", "http://p.corp:3128"))),
    st.tuples(st.sampled_from(_OTHER_NAMES), st.sampled_from(("", "ns.example", "other.example"))),
)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="OS proxy settings apply there")
@settings(max_examples=150, deadline=None)
@given(st.lists(_VARIABLES, max_size=5))
def test_system_routes_agree_with_what_urllib_reads(variables: list[tuple[str, str]]) -> None:
    """Whether or not urllib.request is asked (it is not when no variable names a
    proxy), the route is the one its reading of the environment gives."""
    with mock.patch.dict(os.environ, dict(variables), clear=True):
        proxies = urllib.request.getproxies_environment()
        route = system_route("wss://ns.example/$hc/x")
    chosen = proxies.get("https") or proxies.get("all")
    if not chosen or bypasses(proxies.get("no", ""), "ns.example", 443):
        assert route is None
    else:
        assert route is not None and route.url == chosen


def test_loopback_is_proxied_unless_no_proxy_says_so(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    assert ProxySettings().route("https://127.0.0.1:8443/demo") is not None
    clean_env.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert ProxySettings().route("https://127.0.0.1:8443/demo") is None
    assert ProxySettings().route("wss://localhost:8443/$hc/demo") is None


def test_explicit_and_none_ignore_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTPS_PROXY", "http://env.corp:1")
    clean_env.setenv("NO_PROXY", "*")
    explicit = ProxySettings.explicit("http://mine:3128", username="u", password=Secret("s3cret"))
    route = explicit.route("https://127.0.0.1:1/x")
    assert route == ProxyRoute("http://mine:3128", "u", Secret("s3cret"), "explicit")
    assert "s3cret" not in repr(explicit) + explicit.describe()
    assert ProxySettings("none").route("https://ns.example/x") is None
    with pytest.raises(InvalidField):
        ProxySettings("explicit").route("https://ns.example/x")


def test_a_bad_proxy_variable_is_named(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTPS_PROXY", "ftp://nope:1")
    with pytest.raises(InvalidField, match="HTTPS_PROXY"):
        ProxySettings().route("https://ns.example/x")


def test_refusals_are_typed_by_status() -> None:
    route = ProxyRoute("http://p:1", "u", Secret("pw"))
    assert isinstance(refused(route, "ns:443", 407), ProxyAuthRequired)
    denied = refused(route, "ns:443", 403, "Access violation")
    assert isinstance(denied, ProxyRefused) and denied.status == 403
    assert "not Azure's" in str(denied) and denied.remedy
    assert "pw" not in str(denied) + repr(denied)
