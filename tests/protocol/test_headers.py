"""Headers: the immutable mapping inside control messages, and the field rule."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.errors import InvalidField
from relaydesk.protocol.headers import check_header_fields
from relaydesk.protocol.messages import AcceptCommand, Headers
from tests.hostile_text import hostile_text


def test_headers_copy_pickle_hash_and_compare() -> None:
    accept = AcceptCommand(address="a", id="1", connect_headers={"A": "1", "B": "2"})
    assert copy.deepcopy(accept) == accept
    assert pickle.loads(pickle.dumps(accept)) == accept
    assert hash(accept) == hash(
        AcceptCommand(address="a", id="1", connect_headers={"B": "2", "A": "1"})
    )
    assert accept.connect_headers == {"A": "1", "B": "2"}
    assert accept.connect_headers != {"A": "1"}
    assert accept.connect_headers != [("A", "1"), ("B", "2")]
    assert repr(accept.connect_headers) == "Headers({'A': '1', 'B': '2'})"
    assert list(accept.connect_headers) == ["A", "B"] and len(accept.connect_headers) == 2
    same = AcceptCommand(address="a", id="1", connect_headers=accept.connect_headers)
    assert same.connect_headers is accept.connect_headers
    assert Headers() == {} and Headers(None) == Headers({})


def test_headers_are_immutable() -> None:
    headers = Headers({"A": "1"})
    with pytest.raises(TypeError):
        headers["A"] = "2"  # type: ignore[index]
    with pytest.raises(AttributeError):
        headers.extra = 1  # type: ignore[attr-defined]
    assert headers["A"] == "1" and headers.get("B") is None


# --- check_header_fields: the one rule for header fields a client sends --------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Bad Name", "v"),
        ("X:Colon", "v"),
        ("", "v"),
        ("X-\udcff", "v"),
        ("X-Ok", "a\r\nInjected: 1"),
        ("X-Ok", "nul\x00"),
        ("X-Ok", "\udcff"),
    ],
)
def test_check_header_fields_refuses_what_would_break_a_request_head(name: str, value: str) -> None:
    with pytest.raises(InvalidField) as info:
        check_header_fields({name: value})
    assert info.value.field == "headers"


def test_a_refused_value_is_never_echoed() -> None:
    with pytest.raises(InvalidField) as info:
        check_header_fields({"Authorization": "S3CRET\r\n"})
    assert "S3CRET" not in str(info.value) and "'Authorization'" in str(info.value)


def test_check_header_fields_keeps_good_fields() -> None:
    fields = {"X-Test": "a b\tc", "Content-Type": "text/plain; charset=utf-8", "X-U": "Grüße"}
    assert check_header_fields(fields) == fields


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(hostile_text(max_size=10), hostile_text(max_size=20), max_size=4))
def test_check_header_fields_on_hostile_text(fields: dict[str, str]) -> None:
    try:
        checked = check_header_fields(fields)
    except InvalidField as exc:
        assert exc.field == "headers"
        return
    for name, value in checked.items():
        head = f"{name}: {value}\r\n".encode()  # what aiohttp and websockets write
        assert head.count(b"\r\n") == 1 and name.isascii()
