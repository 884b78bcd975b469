"""Plain-Python formatting for the message log and timeline: no Qt here.

Times are shown in local time because the user compares them with a wall
clock; sizes are compact; previews are one line and bounded so a flood of
large messages never costs more than a few hundred characters per row.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

PREVIEW_CHARS = 120
HEX_PREVIEW_BYTES = 16
DETAIL_LIMIT = 256 * 1024  # characters of text shown in a detail pane
HEX_DUMP_LIMIT = 16 * 1024  # bytes rendered as a hex dump (~70 KB of text)

_CONTROL_MAP = {ord("\n"): "⏎", ord("\r"): "", ord("\t"): " "}


def format_clock(at: float) -> str:
    """Return ``HH:MM:SS`` in local time."""
    return time.strftime("%H:%M:%S", time.localtime(at))


def format_clock_ms(at: float) -> str:
    """Return ``HH:MM:SS.mmm`` in local time (message rows need sub-second order)."""
    millis = int((at % 1) * 1000)
    return f"{format_clock(at)}.{millis:03d}"


def format_size(size: int) -> str:
    """Return a compact byte count: ``5 B``, ``1.5 KiB``, ``2.0 MiB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def format_duration(seconds: float) -> str:
    """Return a short duration: ``850 µs``, ``2.1 ms``, ``1.25 s``."""
    if seconds < 0.001:
        return f"{seconds * 1_000_000:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def format_countdown(seconds: float) -> str:
    """Return ``mm:ss`` (or ``h:mm:ss`` from one hour) for a non-negative span."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


def short_id(identifier: str, keep: int = 6) -> str:
    """Shorten a long connection id for one-line text (``c-3f9a2b…``)."""
    return identifier if len(identifier) <= keep + 2 else identifier[:keep] + "…"


def preview_text(text: str, limit: int = PREVIEW_CHARS) -> str:
    """Return a one-line preview of at most ``limit`` characters (plus an ellipsis)."""
    head = text[: limit + 1].translate(_CONTROL_MAP)
    return head[:limit] + "…" if len(head) > limit or len(text) > limit + 1 else head


def preview_bytes(data: bytes, limit: int = HEX_PREVIEW_BYTES) -> str:
    """Return the first ``limit`` bytes as spaced hex (``de ad be ef …``)."""
    head = " ".join(f"{b:02x}" for b in data[:limit])
    return head + " …" if len(data) > limit else head


def hex_dump(data: bytes, limit: int = HEX_DUMP_LIMIT) -> str:
    """Render bytes like ``hexdump -C``: offset, 16 hex bytes, printable ASCII.

    Only the first ``limit`` bytes are rendered; a final line says how many
    were left out, so a 1 MiB body cannot freeze the detail pane.
    """
    lines = []
    for offset in range(0, min(len(data), limit), 16):
        chunk = data[offset : offset + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexes:<47}  |{text}|")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit} more bytes not shown")
    return "\n".join(lines)


def pretty_json(text: str) -> str | None:
    """Return ``text`` re-indented when it is a JSON object or array, else ``None``."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return json.dumps(value, indent=2, ensure_ascii=False)


def render_text(text: str, limit: int = DETAIL_LIMIT) -> str:
    """Return full text for a detail pane: pretty JSON when it is JSON, bounded."""
    if len(text) <= limit:
        pretty = pretty_json(text)
        if pretty is not None:
            return pretty
        return text
    return text[:limit] + f"\n… {len(text) - limit} more characters not shown"


def render_body(body: bytes, headers: Mapping[str, str]) -> str:
    """Return an HTTP body for display: text (pretty JSON when JSON) or a hex dump."""
    if not body:
        return "(empty body)"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return hex_dump(body)
    if not text.isprintable() and not _mostly_printable(text):
        return hex_dump(body)
    return render_text(text)


def _mostly_printable(text: str) -> bool:
    sample = text[:4096]
    printable = sum(1 for c in sample if c.isprintable() or c in "\r\n\t")
    return printable >= 0.95 * len(sample)
