"""Tests for relaydesk.emulator.wsclose: close reasons that fit a close frame
and close codes that may be sent on (RFC 6455 §5.5, §7.4; protocol §4.3, §5.2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.emulator.wsclose import close_reason, relayable_code

#: RFC 6455 §5.5: a control frame carries at most 125 bytes, two of them the code.
REASON_LIMIT = 123


def test_a_short_reason_is_kept_byte_for_byte() -> None:
    assert close_reason("NameRenewalFailed") == b"NameRenewalFailed"
    assert close_reason("") == b""
    assert close_reason("é" * 61) == ("é" * 61).encode()  # 122 bytes


def test_a_reason_of_exactly_the_limit_is_kept() -> None:
    text = "x" * REASON_LIMIT
    assert close_reason(text) == text.encode()


def test_a_long_reason_is_cut_to_the_limit() -> None:
    assert close_reason("y" * 500) == b"y" * REASON_LIMIT


def test_a_cut_never_splits_a_character() -> None:
    # 41 three-byte characters = 123 bytes; one more would straddle the limit.
    assert close_reason("€" * 42) == ("€" * 41).encode()
    # 2-byte characters: 61 fit (122 bytes); the 62nd would need bytes 123-124.
    assert close_reason("x" + "é" * 70) == ("x" + "é" * 61).encode()
    # a 4-byte character starting at byte 121 is dropped whole
    assert close_reason("a" * 120 + "😀") == b"a" * 120


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_every_reason_fits_and_is_a_prefix_of_valid_utf8(text: str) -> None:
    data = close_reason(text)
    assert len(data) <= REASON_LIMIT
    assert text.encode("utf-8").startswith(data)
    assert text.startswith(data.decode("utf-8"))  # whole characters only
    if len(text.encode("utf-8")) <= REASON_LIMIT:
        assert data == text.encode("utf-8")
    else:  # as much as fits: the next character would not
        next_char = text[len(data.decode("utf-8"))]
        assert len(data) + len(next_char.encode("utf-8")) > REASON_LIMIT


@pytest.mark.parametrize(
    "code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]
)
def test_sendable_codes_pass_through(code: int) -> None:
    assert relayable_code(code) == code


@pytest.mark.parametrize(
    "code",
    [1004, 1005, 1006, 1015, 1016, 2999, 5000, 999, 0, -1, None, "1000", 1000.0, True],
    ids=repr,
)
def test_codes_that_must_not_appear_on_the_wire_become_1000(code: object) -> None:
    """1005/1006/1015 are reserved for "no code"/"abnormal"/"TLS" (RFC 6455 §7.4.1)."""
    assert relayable_code(code) == 1000


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(2**31), max_value=2**31))
def test_the_result_is_always_sendable(code: int) -> None:
    result = relayable_code(code)
    assert result == code or result == 1000
    assert result not in (1004, 1005, 1006, 1015)
    assert 1000 <= result <= 1014 or 3000 <= result <= 4999
