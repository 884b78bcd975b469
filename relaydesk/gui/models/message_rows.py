"""Rows of the message log and their detail text (Qt-free).

A row is built once, the first time it is shown (a :class:`PendingRow` until
then), and the view's ``data()`` returns its precomputed strings: no
per-paint formatting, and no formatting at all for the thousands of rows a
flood trims again before anyone sees them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from relaydesk.gui.models.formatting import (
    format_clock_ms,
    format_duration,
    format_size,
    hex_dump,
    preview_bytes,
    preview_text,
    render_body,
    render_text,
)
from relaydesk.gui.models.payloads import CONTENT_EVENTS, without_payload
from relaydesk.protocol.redaction import redact_headers, redact_text
from relaydesk.relay.events import (
    Event,
    HttpRequestReceived,
    HttpResponseReceived,
    HttpResponseSent,
    MessageReceived,
    MessageSent,
)

LogEvent = (
    MessageReceived | MessageSent | HttpRequestReceived | HttpResponseSent | HttpResponseReceived
)
LOG_EVENT_TYPES = CONTENT_EVENTS  # the events the message log shows: those with content
INCOMING = "←"
OUTGOING = "→"
COLUMNS = ("Time", "Dir", "Connection", "Kind", "Size", "Preview", "RTT")


@dataclass(frozen=True)
class MessageRow:
    """Display strings for one row, plus the event for the detail pane."""

    event: LogEvent
    time: str
    direction: str
    connection: str
    kind: str
    size: str
    preview: str
    rtt: str
    released: bool = False  # the content was let go (payloads.py: memory budget)
    note: str = ""  # what the app knows beyond the event (a demo fault that changes its fate)

    def cells(self) -> tuple[str, ...]:
        """Return the cells in :data:`COLUMNS` order."""
        return (
            self.time,
            self.direction,
            self.connection,
            self.kind,
            self.size,
            self.preview,
            self.rtt,
        )


@dataclass(frozen=True, slots=True)
class PendingRow:
    """An event waiting to become a :class:`MessageRow` when it is first shown."""

    event: LogEvent
    rtt: float | None = None
    note: str = ""

    def build(self) -> MessageRow:
        """Return the row (see :func:`build_row`)."""
        return build_row(self.event, self.rtt, self.note)


def is_log_event(event: Event) -> bool:
    """Return True for the events the message log shows."""
    return isinstance(event, LOG_EVENT_TYPES)


def build_row(event: LogEvent, rtt: float | None = None, note: str = "") -> MessageRow:
    """Return the row for ``event``; ``rtt`` is shown for echoed messages.

    ``note`` follows the preview: what happened to the event beyond what the
    event itself knows (a response the relay holds because of a demo fault).
    """
    rtt_text = "" if rtt is None else format_duration(rtt)
    direction, connection, kind, size, preview = _cells(event)
    if note:
        preview = f"{preview} · {note}"
    return MessageRow(
        event,
        format_clock_ms(event.at),
        direction,
        connection,
        kind,
        size,
        preview,
        rtt_text,
        note=note,
    )


def _cells(event: LogEvent) -> tuple[str, str, str, str, str]:
    match event:
        case MessageReceived() | MessageSent():
            direction = INCOMING if isinstance(event, MessageReceived) else OUTGOING
            kind, preview = _data_preview(event.data)
            return direction, event.connection_id, kind, format_size(_size(event.data)), preview
        case HttpRequestReceived():
            via = " (rendezvous)" if event.via_rendezvous else ""
            preview = f"{event.method} {redact_text(event.target)}{via}"
            return INCOMING, event.request_id, "HTTP", format_size(len(event.body)), preview
        case HttpResponseSent():
            via = " (rendezvous)" if event.via_rendezvous else ""
            preview = f"{event.status} in {format_duration(event.elapsed)}{via}"
            return OUTGOING, event.request_id, "HTTP", format_size(len(event.body)), preview
        case HttpResponseReceived():
            preview = f"{event.status} {event.reason} ← {event.method} {redact_text(event.url)}"
            return INCOMING, "", "HTTP", format_size(len(event.body)), preview
    raise AssertionError(f"not a message-log event: {type(event).__name__}")  # pragma: no cover


def _data_preview(data: str | bytes) -> tuple[str, str]:
    if isinstance(data, str):
        return "text", preview_text(data)
    return "binary", preview_bytes(data)


def _size(data: str | bytes) -> int:
    # Text frames are UTF-8 on the wire; ASCII is the common case and needs no encode.
    if isinstance(data, bytes):
        return len(data)
    return len(data) if data.isascii() else len(data.encode("utf-8"))


def released_row(row: MessageRow) -> MessageRow:
    """``row`` without its content: same cells, the payload is let go."""
    return replace(row, event=without_payload(row.event), released=True)


def detail_text(row: MessageRow) -> str:
    """Return the full content of ``row`` for the detail pane.

    Pretty-printed JSON when text is JSON, a hex dump for binary, and for
    HTTP the start line, headers (secret values redacted) and body.
    """
    if row.released:
        return (
            f"{row.time} {row.direction} {row.connection} {row.kind} {row.size}\n\n"
            "The content of this older row was let go to keep memory bounded: each log "
            "keeps only its newest payloads, up to a budget (64 MiB by default). "
            "The preview in the list remains."
        )
    text = _detail(row)
    return f"{text}\n\n⚠ {row.note}" if row.note else text


def _detail(row: MessageRow) -> str:
    event = row.event
    match event:
        case MessageReceived() | MessageSent():
            head = f"{row.time} {row.direction} {event.connection_id} {row.kind} {row.size}"
            body = render_text(event.data) if isinstance(event.data, str) else hex_dump(event.data)
            return f"{head}\n\n{body}"
        case HttpRequestReceived():
            start = f"{event.method} {redact_text(event.target)}"
            return _http(start, event.headers, event.body)
        case HttpResponseSent():
            return _http(
                f"{event.status} (sent in {format_duration(event.elapsed)})",
                event.headers,
                event.body,
            )
        case HttpResponseReceived():
            start = f"{event.method} {redact_text(event.url)}\n→ {event.status} {event.reason}"
            return _http(start, event.headers, event.body)
    raise AssertionError("unreachable")  # pragma: no cover


def _http(start: str, headers: Mapping[str, str], body: bytes) -> str:
    lines = [start]
    lines.extend(f"{name}: {value}" for name, value in redact_headers(headers).items())
    return "\n".join(lines) + "\n\n" + render_body(body, headers)
