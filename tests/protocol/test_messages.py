"""Control messages: parse, encode, round trips, malformed input (protocol §4.4, §5.1, §7)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import FrozenInstanceError, asdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.errors import RemoteProtocolViolation
from relaydesk.protocol.messages import (
    INLINE_BODY_LIMIT,
    AcceptCommand,
    ControlMessage,
    RemoteEndpoint,
    RenewTokenCommand,
    RequestCommand,
    ResponseCommand,
    UnknownCommand,
    encode_control_message,
    parse_control_message,
)
from relaydesk.protocol.text import is_text
from tests.hostile_text import hostile_text

DATA: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "control_messages.json").read_text("utf-8")
)
KINDS = {
    cls.__name__: cls
    for cls in (AcceptCommand, RequestCommand, ResponseCommand, RenewTokenCommand, UnknownCommand)
}


def as_plain(message: ControlMessage) -> dict[str, Any]:
    """Fields as plain JSON-like data (mappings → dicts) for comparison."""
    fields = asdict(message)
    for name, value in fields.items():
        if isinstance(value, dict) or hasattr(value, "items"):
            fields[name] = dict(value)
    if isinstance(message, RequestCommand):
        fields["is_rendezvous_only"] = message.is_rendezvous_only
    return fields


@pytest.mark.parametrize("case", DATA["valid"], ids=lambda c: c["name"])
def test_parse_golden(case: dict[str, Any]) -> None:
    message = parse_control_message(json.dumps(case["wire"]))
    assert type(message) is KINDS[case["kind"]]
    assert as_plain(message) == case["expected"]


@pytest.mark.parametrize("case", DATA["valid"], ids=lambda c: c["name"])
def test_encode_golden_and_round_trip(case: dict[str, Any]) -> None:
    message = parse_control_message(json.dumps(case["wire"]).encode("utf-8"))
    encoded = encode_control_message(message)
    assert encoded == case["canonical"]
    assert parse_control_message(encoded) == message
    assert encode_control_message(parse_control_message(encoded)) == encoded


@pytest.mark.parametrize("case", DATA["malformed"], ids=lambda c: c["name"])
def test_malformed_raises_violation(case: dict[str, Any]) -> None:
    with pytest.raises(RemoteProtocolViolation):
        parse_control_message(case["text"])
    with pytest.raises(RemoteProtocolViolation):
        parse_control_message(case["text"].encode("utf-8"))


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe{}",
        b'{"accept":{"address":"\xc3"}}',
        "[" * 100_000 + "]" * 100_000,
        '{"response":{"requestId":"1","statusCode":' + "9" * 5000 + ',"body":false}}',
        12,
        None,
    ],
    ids=["bad-utf8", "truncated-utf8", "deep-nesting", "huge-int", "int", "none"],
)
def test_hostile_input_raises_violation(data: Any) -> None:
    with pytest.raises(RemoteProtocolViolation):
        parse_control_message(data)


def test_violation_names_header_but_not_its_value() -> None:
    text = '{"request":{"address":"a","id":"1","requestTarget":"/","method":"GET",'
    text += '"requestHeaders":{"Authorization":["SECRET-TOKEN"]}}}'
    with pytest.raises(RemoteProtocolViolation) as info:
        parse_control_message(text)
    assert "Authorization" in str(info.value)
    assert "SECRET-TOKEN" not in str(info.value)


def test_renew_token_repr_hides_token() -> None:
    message = parse_control_message('{"renewToken":{"token":"SharedAccessSignature sig=S3CR3T"}}')
    assert isinstance(message, RenewTokenCommand)
    assert "S3CR3T" not in repr(message)
    assert "S3CR3T" not in str(message)
    assert repr(message) == "RenewTokenCommand(token=<redacted>)"


def test_messages_are_frozen_and_mappings_read_only() -> None:
    headers = {"X-App": "demo"}
    accept = AcceptCommand(address="wss://x", id="1", connect_headers=headers)
    headers["X-App"] = "changed"  # the message keeps its own copy
    assert accept.connect_headers["X-App"] == "demo"
    with pytest.raises(TypeError):
        accept.connect_headers["X-App"] = "changed"  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        accept.id = "2"  # type: ignore[misc]
    response = ResponseCommand(request_id="1", status_code=200)
    assert response.response_headers == {} and response.body is False
    parsed = parse_control_message('{"request":{"address":"a","requestHeaders":{"k":"v"}}}')
    assert isinstance(parsed, RequestCommand)
    with pytest.raises(TypeError):
        parsed.request_headers["k"] = "w"  # type: ignore[index]


def test_constructed_messages_encode_with_wire_names() -> None:
    request = RequestCommand(
        address="wss://ns/$hc/h?sb-hc-action=request",
        id="r1",
        request_target="/h/x?y=1",
        method="PUT",
        request_headers={"Content-Type": "application/json"},
        remote_endpoint=RemoteEndpoint(address="127.0.0.1", port=5000),
        body=False,
    )
    wire = json.loads(encode_control_message(request))
    assert wire == {
        "request": {
            "address": "wss://ns/$hc/h?sb-hc-action=request",
            "id": "r1",
            "requestTarget": "/h/x?y=1",
            "method": "PUT",
            "requestHeaders": {"Content-Type": "application/json"},
            "remoteEndpoint": {"address": "127.0.0.1", "port": 5000},
            "body": False,
        }
    }
    text = encode_control_message(RenewTokenCommand(token="tok"))
    assert text == '{"renewToken":{"token":"tok"}}'


def test_rendezvous_only_with_headers_keeps_them() -> None:
    request = RequestCommand(address="a", request_headers={"k": "v"})
    assert request.is_rendezvous_only
    assert (
        encode_control_message(request) == '{"request":{"address":"a","requestHeaders":{"k":"v"}}}'
    )


def test_non_ascii_is_escaped_and_round_trips() -> None:
    response = ResponseCommand(
        request_id="1", status_code=200, status_description="Grüße ✓", body=False
    )
    text = encode_control_message(response)
    assert text.isascii()
    assert parse_control_message(text) == response


def test_inline_body_limit() -> None:
    assert INLINE_BODY_LIMIT == 65536


# --- properties -------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
_field_names = st.sampled_from(
    [
        "address",
        "id",
        "connectHeaders",
        "remoteEndpoint",
        "requestTarget",
        "method",
        "requestHeaders",
        "body",
        "requestId",
        "statusCode",
        "statusDescription",
        "responseHeaders",
        "token",
        "port",
    ]
)
_commandish = st.dictionaries(
    st.sampled_from(["accept", "request", "response", "renewToken", "other"]),
    st.dictionaries(_field_names, _json_values, max_size=8) | _json_values,
    max_size=2,
)


def _check(data: str | bytes) -> None:
    try:
        message = parse_control_message(data)
    except RemoteProtocolViolation as exc:
        assert str(exc)
        return
    encoded = encode_control_message(message)
    assert parse_control_message(encoded) == message


@given(st.one_of(st.text(), st.binary()))
def test_any_text_or_bytes(data: str | bytes) -> None:
    _check(data)


@given(_commandish)
def test_command_shaped_json(document: dict[str, Any]) -> None:
    _check(json.dumps(document))


@given(_json_values)
def test_any_json_value(value: Any) -> None:
    _check(json.dumps(value))


# --- hostile and odd text: every string of a parsed message is text ----------------


@pytest.mark.parametrize(
    "escape",
    ['"\\ud800"', '"\\udcff"', '"a\\udfffb"', '"\\ude00\\ud83d"'],
)
def test_lone_surrogate_escapes_are_a_violation(escape: str) -> None:
    for document in (
        f'{{"accept":{{"address":{escape},"id":"1"}}}}',
        f'{{"accept":{{"address":"a","id":"1","connectHeaders":{{"X":{escape}}}}}}}',
        f'{{"response":{{"requestId":"1","statusCode":200,"body":false,{escape}:1}}}}',
        f'{{"renewToken":{{"token":{escape}}}}}',
        f"{{{escape}:{{}}}}",
        f'{{"x":[[[{escape}]]]}}',
    ):
        with pytest.raises(RemoteProtocolViolation, match="surrogate"):
            parse_control_message(document)


def test_an_escaped_surrogate_pair_is_one_character() -> None:
    accept = parse_control_message('{"accept":{"address":"\\ud83d\\ude00","id":"1"}}')
    assert isinstance(accept, AcceptCommand) and accept.address == "\U0001f600"


def test_a_str_holding_a_lone_surrogate_is_a_violation() -> None:
    with pytest.raises(RemoteProtocolViolation):
        parse_control_message('{"accept":{"address":"\udcff","id":"1"}}')


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):  # dicts and protocol Headers
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


_hostile_json_strings = st.one_of(st.text(max_size=8), hostile_text(max_size=8))
_hostile_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _hostile_json_strings,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.one_of(_field_names, _hostile_json_strings), children, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["accept", "request", "response", "renewToken", "\udcff"]),
        _hostile_json,
        max_size=2,
    )
)
def test_hostile_json_parses_to_text_or_raises_a_violation(document: dict[str, Any]) -> None:
    """``json.dumps`` escapes lone surrogates as ``\\udcff``: the wire form a peer sends."""
    try:
        message = parse_control_message(json.dumps(document))
    except RemoteProtocolViolation as exc:
        assert str(exc)
        return
    assert all(is_text(text) for text in _strings(asdict(message)))
    assert parse_control_message(encode_control_message(message)) == message


@settings(max_examples=60, deadline=None)
@given(st.one_of(hostile_text(), st.binary(max_size=40)))
def test_hostile_text_or_bytes(data: str | bytes) -> None:
    _check(data)
