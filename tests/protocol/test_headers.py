"""Headers: the immutable mapping inside control messages."""

from __future__ import annotations

import copy
import pickle

import pytest

from relaydesk.protocol import AcceptCommand, Headers


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
