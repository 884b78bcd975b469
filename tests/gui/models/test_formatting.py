"""Formatting helpers: sizes, durations, countdowns, previews, hex dumps, JSON."""

from __future__ import annotations

import json

import pytest

from relaydesk.gui.models.formatting import (
    format_countdown,
    format_duration,
    format_size,
    hex_dump,
    pretty_json,
    preview_bytes,
    preview_text,
    render_body,
    render_text,
    short_id,
)


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (3 * 1024 * 1024, "3.0 MiB")],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.00085, "850 µs"), (0.0021, "2.1 ms"), (1.25, "1.25 s")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(-5, "00:00"), (0, "00:00"), (291.9, "04:51"), (3599, "59:59"), (3725, "1:02:05")],
)
def test_format_countdown(seconds: float, text: str) -> None:
    assert format_countdown(seconds) == text


def test_short_id_keeps_short_ids_and_shortens_long_ones() -> None:
    assert short_id("c-3f") == "c-3f"
    assert short_id("c-3f9a2b1c-77") == "c-3f9a…"


def test_preview_text_is_one_line_and_bounded() -> None:
    assert preview_text("a\nb\tc") == "a⏎b c"
    long = "x" * 10_000
    preview = preview_text(long, limit=120)
    assert preview == "x" * 120 + "…"
    assert preview_text("y" * 120, limit=120) == "y" * 120


def test_preview_bytes_shows_leading_hex() -> None:
    assert preview_bytes(b"\xde\xad") == "de ad"
    assert preview_bytes(bytes(20), limit=4) == "00 00 00 00 …"


def test_hex_dump_has_offsets_hex_and_ascii() -> None:
    dump = hex_dump(b"hello\x00world, and more bytes")
    first, second = dump.splitlines()
    assert first.startswith("00000000  68 65 6c 6c 6f 00 77 6f")
    assert first.endswith("|hello.world, and|")
    assert second.startswith("00000010  20 6d 6f 72 65")


def test_hex_dump_is_bounded() -> None:
    dump = hex_dump(bytes(100), limit=32)
    assert len(dump.splitlines()) == 3
    assert dump.endswith("68 more bytes not shown")


def test_pretty_json_reindents_objects_only() -> None:
    assert pretty_json('{"a":1,"b":[1,2]}') == json.dumps({"a": 1, "b": [1, 2]}, indent=2)
    assert pretty_json("42") is None
    assert pretty_json("{not json") is None
    assert pretty_json("hello") is None


def test_render_text_bounds_huge_text() -> None:
    text = render_text("z" * 50, limit=10)
    assert text.startswith("z" * 10 + "\n")
    assert text.endswith("40 more characters not shown")


def test_render_body_text_json_binary_and_empty() -> None:
    assert render_body(b"", {}) == "(empty body)"
    assert render_body(b'{"ok":true}', {}) == '{\n  "ok": true\n}'
    assert render_body(b"plain", {}) == "plain"
    assert render_body(b"\xff\xfe\x00", {}).startswith("00000000  ff fe 00")
    assert render_body(b"\x00\x01\x02\x03abc", {}).startswith("00000000  00 01 02 03")
