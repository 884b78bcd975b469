"""Forward URL validation, path mapping and proxy header rules (pure functions)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.errors import InvalidField
from relaydesk.protocol.messages import RemoteEndpoint
from relaydesk.relay.forward_target import (
    ForwardTarget,
    local_path,
    proxied_request_headers,
    proxied_response_headers,
    rendezvous_suffix,
)
from relaydesk.relay.ws_bridge import wire_close_code


@pytest.mark.parametrize(
    "text",
    ["127.0.0.1:8080", "ftp://host", "http://", "http://h:99999", "http://h/?q=1", "ws://h"],
)
def test_bad_forward_urls_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidField) as refused:
        ForwardTarget.parse(text, field="forward")
    assert refused.value.field == "forward"


def test_a_forward_url_keeps_its_base_path_without_trailing_slash() -> None:
    target = ForwardTarget.parse("https://Local.test:8443/api/")
    assert (target.scheme, target.authority, target.base_path) == (
        "https",
        "Local.test:8443",
        "/api",
    )
    assert target.url("/x?y=1") == "https://Local.test:8443/api/x?y=1"
    assert str(target.as_websocket()) == "wss://Local.test:8443/api"
    assert ForwardTarget.parse("http://h:1", kind="ws").scheme == "ws"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/demo", "/"),
        ("/demo/", "/"),
        ("/demo?x=1", "/?x=1"),
        ("/demo/a/b?x=%20", "/a/b?x=%20"),
        ("/DEMO/a", "/a"),
        ("/demonstration/a", "/demonstration/a"),
    ],
)
def test_local_path_strips_the_hybrid_connection(target: str, expected: str) -> None:
    assert local_path(target, "demo") == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abc/?=&%20", max_size=30))
def test_local_path_always_starts_with_a_slash_and_keeps_the_rest(rest: str) -> None:
    mapped = local_path("/a/b" + ("/" + rest if rest else ""), "a/b")
    assert mapped.startswith("/")
    assert mapped.rstrip("/").endswith(rest.rstrip("/").lstrip("/")) or not rest.strip("/")


def test_rendezvous_suffix_drops_the_entity_and_sb_hc_parameters() -> None:
    address = "wss://ns:443/$hc/a/b/chat/x?room=1&sb-hc-action=accept&sb-hc-id=42_G0"
    assert rendezvous_suffix(address, "a/b") == "/chat/x?room=1"
    assert rendezvous_suffix("wss://ns/$hc/demo?sb-hc-action=accept", "demo") == "/"


def test_request_headers_lose_hop_by_hop_and_gain_forwarding_ones() -> None:
    headers = proxied_request_headers(
        {
            "Host": "ns.servicebus.windows.net",
            "Connection": "keep-alive, X-Hop",
            "X-Hop": "1",
            "TE": "trailers",
            "X-Forwarded-For": "10.0.0.1",
            "Authorization": "Bearer app-token",
            "Via": "1.1 ns",
        },
        remote=RemoteEndpoint(address="2001:db8::1", port=5000),
        prefix="/demo",
        host="app.local",
    )
    assert headers == {
        "X-Forwarded-For": "10.0.0.1, 2001:db8::1",
        "Authorization": "Bearer app-token",  # the app's own credential goes through
        "Via": "1.1 ns",
        "Forwarded": 'for="[2001:db8::1]";proto=https;host="ns.servicebus.windows.net"',
        "X-Forwarded-Host": "ns.servicebus.windows.net",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Prefix": "/demo",
        "Host": "app.local",
    }


def test_websocket_handshake_headers_are_left_to_the_local_client() -> None:
    headers = proxied_request_headers(
        {"Sec-WebSocket-Key": "k", "Sec-WebSocket-Protocol": "chat", "Upgrade": "websocket"},
        remote=None,
        prefix="/demo",
        host=None,
        websocket=True,
    )
    assert not [k for k in headers if k.lower().startswith("sec-websocket") or k == "Upgrade"]


def test_response_headers_are_joined_and_keep_their_spelling() -> None:
    headers = proxied_response_headers(
        [
            ("Set-Cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("X-Thing", "v"),
            ("Connection", "close, X-Private"),
            ("X-Private", "p"),
            ("Transfer-Encoding", "chunked"),
            ("Content-Length", "9"),
        ]
    )
    assert headers == {"Set-Cookie": "a=1, b=2", "X-Thing": "v"}


@pytest.mark.parametrize(
    ("code", "sent"),
    [
        (None, 1000),
        (1005, 1000),
        (1006, 1011),
        (1015, 1011),
        (1004, 1011),
        (4001, 4001),
        (1001, 1001),
        (999, 1011),
        (5000, 1011),
        (1012, 1012),
    ],
)
def test_close_codes_that_cannot_be_sent_are_mapped(code: int | None, sent: int) -> None:
    assert wire_close_code(code) == sent
