"""is_text: whether a str can go on the wire (no lone surrogate)."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.protocol.text import header_text, is_text
from tests.hostile_text import hostile_text


def test_argv_bytes_that_are_not_utf8_are_not_text() -> None:
    decoded = os.fsdecode(b"caf\xe9")  # how sys.argv arrives on a UTF-8 system
    assert decoded == "caf\udce9" and not is_text(decoded)
    assert is_text("café \U0001f600 \ufffd")


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(), hostile_text()))
def test_is_text_agrees_with_utf8(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        assert not is_text(value)
    else:
        assert is_text(value)


def test_header_text_reads_bytes_that_are_not_utf8_as_latin1() -> None:
    as_aiohttp_gives_it = b"caf\xe9".decode("utf-8", "surrogateescape")
    assert header_text(as_aiohttp_gives_it) == "café"
    assert header_text("café ✓") == "café ✓"  # valid UTF-8 stays as it is


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=40))
def test_header_text_is_always_text(raw: bytes) -> None:
    text = header_text(raw.decode("utf-8", "surrogateescape"))
    assert is_text(text)
