"""HybridConnectionAddress parsing and URL building (protocol §1, §2, §4.1, §6, §7.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.errors import InvalidAddress, InvalidTokenFormat
from relaydesk.protocol.address import (
    HybridConnectionAddress,
    check_entity_path,
    is_loopback_host,
    reject_url,
    split_entity_path,
    split_host_port,
    strip_sb_hc_params,
)
from relaydesk.protocol.text import is_text
from tests.hostile_text import dns_names, hostile_text, pieces_and_hostile_text

DATA: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "addresses.json").read_text("utf-8")
)


@pytest.mark.parametrize("case", DATA["valid"], ids=lambda c: c["text"].strip()[:60])
def test_parse_valid_forms(case: dict[str, Any]) -> None:
    address = HybridConnectionAddress.parse(case["text"])
    assert [address.host, address.port, address.entity_path] == case["expected"]


@pytest.mark.parametrize("case", DATA["invalid"], ids=lambda c: c["text"][:60] or "<empty>")
def test_parse_invalid_forms(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidAddress) as info:
        HybridConnectionAddress.parse(case["text"])
    assert info.value.field == "address"
    assert case["reason"] in info.value.reason


def test_missing_name_reason_has_an_example() -> None:
    with pytest.raises(InvalidAddress) as info:
        HybridConnectionAddress.parse("sb://ns.servicebus.windows.net")
    assert info.value.reason == (
        "missing the hybrid connection name after the host "
        "(e.g. sb://ns.servicebus.windows.net/my-hc)"
    )


def test_parse_refuses_non_text() -> None:
    with pytest.raises(InvalidAddress):
        HybridConnectionAddress.parse(b"sb://ns/hc")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "namespace", "sb_uri"),
    [
        ("sb://ns.servicebus.windows.net/hyco", "ns.servicebus.windows.net",
         "sb://ns.servicebus.windows.net/hyco"),
        ("127.0.0.1:8443/a/b", "127.0.0.1:8443", "sb://127.0.0.1:8443/a/b"),
        ("[::1]:8443/demo", "[::1]:8443", "sb://[::1]:8443/demo"),
        ("[::1]/demo", "[::1]", "sb://[::1]/demo"),
    ],
)  # fmt: skip
def test_namespace_and_sb_uri(text: str, namespace: str, sb_uri: str) -> None:
    address = HybridConnectionAddress.parse(text)
    assert address.namespace == namespace
    assert address.sb_uri == sb_uri
    assert str(address) == sb_uri
    assert HybridConnectionAddress.parse(address.sb_uri) == address


def test_entity_name_length_limit() -> None:
    assert check_entity_path("a" * 260) is None
    problem = check_entity_path("a" * 261)
    assert problem is not None and "260" in problem
    assert check_entity_path("") is not None
    with pytest.raises(InvalidAddress, match="limit is 260"):
        HybridConnectionAddress.parse("ns/" + "a" * 261)


def test_split_host_port_directly() -> None:
    assert split_host_port("NS.example:8443") == ("ns.example", 8443)
    assert split_host_port("[::1]") == ("::1", None)
    assert split_host_port("host:443") == ("host", None)


# --- URL builders --------------------------------------------------------------

HC = HybridConnectionAddress.parse("sb://ns.servicebus.windows.net/hyco")
LOCAL = HybridConnectionAddress.parse("[::1]:8443/a/b")
TOKEN = "SharedAccessSignature sr=http%3A%2F%2Fns%2Fhyco&sig=a%2Bb%3D&se=1&skn=r"


def test_listen_url_without_token() -> None:
    assert HC.listen_url("id-1") == (
        "wss://ns.servicebus.windows.net/$hc/hyco?sb-hc-action=listen&sb-hc-id=id-1"
    )


def test_listen_url_with_token_is_fully_encoded() -> None:
    url = LOCAL.listen_url("g/1", token=TOKEN)
    assert url.startswith(
        "wss://[::1]:8443/$hc/a/b?sb-hc-action=listen&sb-hc-id=g%2F1&sb-hc-token="
    )
    encoded = url.split("sb-hc-token=", 1)[1]
    assert set(encoded) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%-._~"
    )
    assert unquote(encoded) == TOKEN
    assert dict(parse_qsl(urlsplit(url).query))["sb-hc-token"] == TOKEN


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "wss://ns.servicebus.windows.net/$hc/hyco?sb-hc-action=connect"),
        ({"connection_id": "c1"},
         "wss://ns.servicebus.windows.net/$hc/hyco?sb-hc-action=connect&sb-hc-id=c1"),
        ({"suffix": "/sub/path", "query": "?x=1&&x=2"},
         "wss://ns.servicebus.windows.net/$hc/hyco/sub/path?x=1&&x=2&sb-hc-action=connect"),
        ({"suffix": "a b", "query": "q=a b&sb-hc-action=listen&sb-hc-flag"},
         "wss://ns.servicebus.windows.net/$hc/hyco/a%20b?q=a%20b&sb-hc-flag&sb-hc-action=connect"),
        ({"query": "sb-hc-id=x", "token": "t&=", "connection_id": "c"},
         "wss://ns.servicebus.windows.net/$hc/hyco?sb-hc-action=connect&sb-hc-id=c&sb-hc-token=t%26%3D"),
    ],
)  # fmt: skip
def test_connect_url(kwargs: dict[str, str], expected: str) -> None:
    assert HC.connect_url(**kwargs) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "https://ns.servicebus.windows.net/hyco"),
        ({"token": TOKEN},
         "https://ns.servicebus.windows.net/hyco?sb-hc-token=SharedAccessSignature%20sr%3D"
         "http%253A%252F%252Fns%252Fhyco%26sig%3Da%252Bb%253D%26se%3D1%26skn%3Dr"),
        ({"suffix": "api/v1", "query": "a=1"}, "https://ns.servicebus.windows.net/hyco/api/v1?a=1"),
        ({"suffix": "x", "query": "a=1", "token": "jwt.x.y"},
         "https://ns.servicebus.windows.net/hyco/x?a=1&sb-hc-token=jwt.x.y"),
        ({"query": "sb-hc-token=old"}, "https://ns.servicebus.windows.net/hyco"),
        ({"query": "%2f%3a=<\"é\">"}, "https://ns.servicebus.windows.net/hyco?%2f%3a=%3C%22%C3%A9%22%3E"),
    ],
)  # fmt: skip
def test_http_url(kwargs: dict[str, str], expected: str) -> None:
    assert HC.http_url(**kwargs) == expected


def test_sas_resource_uri_drops_port() -> None:
    assert HC.sas_resource_uri() == "http://ns.servicebus.windows.net/hyco"
    assert LOCAL.sas_resource_uri() == "http://[::1]/a/b"


# --- stripping and matching ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("?", ""),
        ("a=1", "a=1"),
        ("?a=1&sb-hc-token=x&b=2", "a=1&b=2"),
        ("sb-hc-undefined", "sb-hc-undefined"),
        ("?sb-hc-undefined&sb-hc-id=1", "sb-hc-undefined"),
        ("a=1&&a=2&", "a=1&&a=2&"),
        ("SB-HC-TOKEN=x&k", "k"),
        ("sb-hc-=x&keep=sb-hc-action=y", "keep=sb-hc-action=y"),
        ("%2f%3a", "%2f%3a"),
        ("q=a b", "q=a%20b"),
    ],
)
def test_strip_sb_hc_params(query: str, expected: str) -> None:
    assert strip_sb_hc_params(query) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/hyco", ("hyco", "")),
        ("hyco", ("hyco", "")),
        ("/HYCO/sub/x", ("hyco", "/sub/x")),
        ("/hyco/", ("hyco", "/")),
        ("/a/b/c/d", ("a/b/c", "/d")),
        ("/a/b", ("a/b", "")),
        ("/a/x", ("a", "/x")),
        ("/hycox", None),
        ("/other", None),
        ("/", None),
    ],
)
def test_split_entity_path_longest_segment_prefix(
    path: str, expected: tuple[str, str] | None
) -> None:
    assert split_entity_path(path, ["hyco", "a", "a/b/c", "a/b", "x/y"]) == expected


def test_split_entity_path_keeps_known_spelling() -> None:
    assert split_entity_path("/demo/X", ["DeMo"]) == ("DeMo", "/X")
    assert split_entity_path("/demo", []) is None


# --- properties --------------------------------------------------------------------

_ALPHABET = st.sampled_from([*"abAZ09.-_/:[]@?#%$ \t", "sb://", "https://", "$hc", "é"])


@given(st.one_of(st.text(), st.lists(_ALPHABET, max_size=40).map("".join)))
def test_parse_any_text_returns_valid_address_or_invalid_address(text: str) -> None:
    try:
        address = HybridConnectionAddress.parse(text)
    except InvalidAddress as exc:
        assert exc.field == "address" and exc.reason
        return
    assert check_entity_path(address.entity_path) is None
    assert address.host == address.host.lower()
    assert address.port is None or 1 <= address.port <= 65535
    assert HybridConnectionAddress.parse(address.sb_uri) == address
    assert HybridConnectionAddress.parse(address.listen_url("x")) == address


_SEGMENT = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._\-]{0,8}[A-Za-z0-9])?", fullmatch=True)


@given(
    st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join),
    st.sampled_from(["sb://", "https://", "wss://", ""]),
    st.sampled_from(["ns.servicebus.windows.net", "127.0.0.1:8443", "[::1]:9000", "localhost"]),
)
def test_valid_entity_paths_round_trip(entity: str, scheme: str, namespace: str) -> None:
    infix = "$hc/" if scheme == "wss://" else ""
    address = HybridConnectionAddress.parse(f" {scheme}{namespace}/{infix}{entity}/?q=1 ")
    assert address.entity_path == entity
    assert address.namespace == namespace
    assert split_entity_path(f"/{entity}/more", [entity]) == (entity, "/more")


@given(st.text())
def test_strip_sb_hc_params_never_keeps_sb_hc_assignments(query: str) -> None:
    result = strip_sb_hc_params(query)
    for segment in result.split("&"):
        assert not (segment.lower().startswith("sb-hc-") and "=" in segment)


def test_reject_url() -> None:
    address = "wss://node7:443/$hc/hyco/sub?x=1&sb-hc-action=accept&sb-hc-id=ab_G3"
    assert reject_url(address, 401, "Not you & me") == (
        address + "&sb-hc-statusCode=401&sb-hc-statusDescription=Not%20you%20%26%20me"
    )
    assert reject_url("wss://h/$hc/x", 400, "") == (
        "wss://h/$hc/x?sb-hc-statusCode=400&sb-hc-statusDescription="
    )


def test_connection_string_pasted_as_address_is_not_echoed() -> None:
    with pytest.raises(InvalidAddress) as info:
        HybridConnectionAddress.parse("Endpoint=sb://ns/;SharedAccessKey=S3CRET=;EntityPath=h")
    assert "S3CRET" not in str(info.value)


@pytest.mark.parametrize(
    "secret",
    [
        "SharedAccessSignature sr=http%3A%2F%2Fns%2Fh&sig=S3CRET%2Fx&se=1&skn=r",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJfX18ifQ.S3CRET_signature_part_abcdefghijklmnop",
        "ns.servicebus.windows.net/x=S3CRET/hc",
        "[::1]S3CRET=/hc",
    ],
)
def test_pasted_secrets_are_never_echoed(secret: str) -> None:
    try:
        HybridConnectionAddress.parse(secret)
    except InvalidAddress as exc:
        assert "S3CRET" not in str(exc)
    else:
        pytest.fail("a secret parsed as an address")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("emu.localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("ns.servicebus.windows.net", False),
        ("localhost.example", False),
        ("10.0.0.1", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback_host(host: str | None, expected: bool) -> None:
    assert is_loopback_host(host) is expected


# --- hostile and odd text: a value or InvalidAddress, never UnicodeError -------------


def test_dns_label_and_name_limits() -> None:
    assert split_host_port("a" * 63 + ".example") == ("a" * 63 + ".example", None)
    with pytest.raises(InvalidAddress, match="63"):
        HybridConnectionAddress.parse("sb://" + "a" * 64 + ".servicebus.windows.net/hc")
    longest = ".".join(["a" * 63] * 3 + ["a" * 61])
    assert len(longest) == 253 and split_host_port(longest)[0] == longest
    with pytest.raises(InvalidAddress, match="253"):
        split_host_port(longest + "a")


@settings(max_examples=60, deadline=None)
@given(st.one_of(dns_names(), hostile_text()), st.sampled_from(["", ":8443", ":0", ":x"]))
def test_split_host_port_gives_a_name_idna_can_encode(host: str, port: str) -> None:
    try:
        name, _port = split_host_port(host + port)
    except InvalidAddress as exc:
        assert exc.field == "address" and exc.reason
        return
    assert name.encode("idna")  # what getaddrinfo and TLS SNI do with it


_ADDRESS_PIECES = [
    "sb://",
    "https://",
    "wss://",
    "ns.example",
    "127.0.0.1:8443",
    "[::1]",
    "/",
    "$hc",
    "demo",
    "?",
    "&",
    "sb-hc-action=listen",
    ":",
    "a" * 64,
    ".",
]


@settings(max_examples=60, deadline=None)
@given(st.one_of(hostile_text(), pieces_and_hostile_text(_ADDRESS_PIECES)))
def test_parse_hostile_text_returns_address_or_invalid_address(text: str) -> None:
    try:
        address = HybridConnectionAddress.parse(text)
    except InvalidAddress as exc:
        assert exc.field == "address" and exc.reason
        return
    assert address.sb_uri.isascii() and address.host.encode("idna")


_DEMO = HybridConnectionAddress.parse("sb://ns.example/demo")


@settings(max_examples=60, deadline=None)
@given(
    suffix=hostile_text(),
    query=hostile_text(),
    connection_id=st.none() | hostile_text(),
    token=st.none() | hostile_text(),
)
def test_url_builders_return_ascii_urls_or_typed_errors(
    suffix: str, query: str, connection_id: str | None, token: str | None
) -> None:
    inputs = {
        "path": suffix,
        "query": query,
        "connection_id": connection_id or "",
        "listener_id": connection_id or "id",
        "token": token or "",
    }
    builders = [
        lambda: _DEMO.connect_url(
            suffix=suffix, query=query, connection_id=connection_id, token=token
        ),
        lambda: _DEMO.http_url(suffix=suffix, query=query, token=token),
        lambda: _DEMO.listen_url(inputs["listener_id"], token=token),
    ]
    for build in builders:
        try:
            url = build()
        except (InvalidAddress, InvalidTokenFormat) as exc:
            assert not is_text(inputs[exc.field]), exc.field
            continue
        assert url.isascii() and "\r" not in url and " " not in url


@settings(max_examples=60, deadline=None)
@given(hostile_text())
def test_strip_sb_hc_params_on_hostile_text(query: str) -> None:
    try:
        result = strip_sb_hc_params(query)
    except InvalidAddress as exc:
        assert exc.field == "query" and not is_text(query)
        return
    assert result.isascii()
    for segment in unquote(result).split("&"):
        assert not (segment.lower().startswith("sb-hc-") and "=" in segment)


@settings(max_examples=60, deadline=None)
@given(hostile_text(), st.integers(100, 999), hostile_text())
def test_reject_url_on_hostile_text(address: str, status: int, description: str) -> None:
    try:
        url = reject_url(address, status, description)
    except InvalidAddress as exc:
        assert exc.field in {"address", "status_description"}
        assert not (is_text(address) and is_text(description))
        return
    assert url.startswith(address) and f"sb-hc-statusCode={status}&" in url


@settings(max_examples=60, deadline=None)
@given(hostile_text(), st.lists(hostile_text(max_size=12), max_size=4))
def test_entity_path_helpers_on_hostile_text(path: str, known: list[str]) -> None:
    assert check_entity_path(path) is None or check_entity_path(path)
    split = split_entity_path(path, known)
    assert split is None or (split[0] in known and (not split[1] or split[1][0] == "/"))
