"""Connection strings (protocol §9.1)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.errors import InvalidConnectionString
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.connection_string import ConnectionString, parse_connection_string
from relaydesk.protocol.text import is_text
from tests.hostile_text import hostile_text, pieces_and_hostile_text

DATA: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "connection_strings.json").read_text("utf-8")
)


@pytest.mark.parametrize("case", DATA["valid"], ids=lambda c: c["text"][:50])
def test_valid(case: dict[str, Any]) -> None:
    parsed = parse_connection_string(case["text"])
    expected = case["expected"]
    assert parsed == ConnectionString(**expected)
    if case["address"] is None:
        with pytest.raises(InvalidConnectionString) as info:
            parsed.address()
        assert info.value.field == "EntityPath"
    else:
        assert parsed.address().sb_uri == case["address"]


@pytest.mark.parametrize("case", DATA["invalid"], ids=lambda c: c["text"][:60] or "<empty>")
def test_invalid(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidConnectionString) as info:
        parse_connection_string(case["text"])
    assert info.value.field == case["field"]
    assert info.value.reason


def test_unknown_key_is_named() -> None:
    with pytest.raises(InvalidConnectionString) as info:
        parse_connection_string("Endpoint=sb://ns/;Colour=blue")
    assert "Colour" in str(info.value)


def test_secrets_never_shown() -> None:
    text = (
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=r;"
        "SharedAccessKey=SUPERSECRETKEY=;EntityPath=hyco"
    )
    parsed = parse_connection_string(text)
    assert "SUPERSECRETKEY" not in repr(parsed)
    assert parsed.key == "SUPERSECRETKEY="
    sas = "SharedAccessSignature sr=a&sig=SECRETSIG&se=1&skn=r"
    parsed = parse_connection_string(f"Endpoint=sb://ns/;SharedAccessSignature={sas}")
    assert "SECRETSIG" not in repr(parsed)
    with pytest.raises(InvalidConnectionString) as info:
        parse_connection_string(
            "Endpoint=sb://ns/;SharedAccessSignature=SharedAccessSignature sig=SECRETSIG"
        )
    assert "SECRETSIG" not in str(info.value)
    for tail in ("SUPERSECRETKEY", "SharedAccessKey=abc;SUPERSECRETKEY+/=="):
        with pytest.raises(InvalidConnectionString) as info:
            parse_connection_string(f"Endpoint=sb://ns/;{tail}")
        assert "SUPERSECRETKEY" not in str(info.value)
        assert info.value.field == "connection_string"


def test_address_override_and_validation() -> None:
    parsed = parse_connection_string("Endpoint=sb://ns.servicebus.windows.net/;EntityPath=hyco")
    assert parsed.address() == HybridConnectionAddress("ns.servicebus.windows.net", None, "hyco")
    assert parsed.address("/other/x/").entity_path == "other/x"
    with pytest.raises(InvalidConnectionString) as info:
        parsed.address("bad name")
    assert info.value.field == "EntityPath"
    with pytest.raises(InvalidConnectionString):
        parsed.address("  ")


def test_non_text_is_refused() -> None:
    with pytest.raises(InvalidConnectionString) as info:
        parse_connection_string(None)  # type: ignore[arg-type]
    assert info.value.field == "connection_string"


_PART_TEXTS = [
    "Endpoint=sb://ns.servicebus.windows.net/",
    "Endpoint=",
    "SharedAccessKeyName=r",
    "SharedAccessKey=k=",
    "EntityPath=hyco",
    "EntityPath=a//b",
    "SharedAccessSignature=SharedAccessSignature sr=a&sig=b&se=1&skn=c",
    "OperationTimeout=00:01:00",
    "Authentication=Managed Identity",
    "x=y",
    "",
    " ",
    "=",
]
_PARTS = st.sampled_from(_PART_TEXTS)


@given(st.one_of(st.text(), st.lists(_PARTS, max_size=6).map(";".join)))
def test_any_text(text: str) -> None:
    try:
        parsed = parse_connection_string(text)
    except InvalidConnectionString as exc:
        assert exc.field and exc.reason
        return
    assert parsed.endpoint.startswith("sb://") and parsed.endpoint.endswith("/")
    assert (parsed.key_name is None) == (parsed.key is None)
    assert parsed.shared_access_signature is None or parsed.key is None
    try:
        address = parsed.address()
    except InvalidConnectionString as exc:
        assert exc.field == "EntityPath"
    else:
        assert address.entity_path == parsed.entity_path


# --- hostile and odd text ------------------------------------------------------------


def test_a_key_that_is_not_text_is_refused_without_echoing_it() -> None:
    text = "Endpoint=sb://ns.example/;SharedAccessKeyName=r;SharedAccessKey=S3CRET\udcff"
    with pytest.raises(InvalidConnectionString) as info:
        parse_connection_string(text)
    assert info.value.field == "connection_string" and "S3CRET" not in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.one_of(hostile_text(), pieces_and_hostile_text([*_PART_TEXTS, ";", "="])))
def test_hostile_text_parses_or_raises_invalid_connection_string(text: str) -> None:
    try:
        parsed = parse_connection_string(text)
    except InvalidConnectionString as exc:
        assert exc.field and exc.reason
        return
    assert is_text(repr(parsed)) and parsed.endpoint.isascii()
    with contextlib.suppress(InvalidConnectionString):
        assert parsed.address().sb_uri.isascii()
