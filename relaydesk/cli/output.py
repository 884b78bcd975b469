"""Printing events and errors: JSON lines for machines, one line per event for people.

With ``--json`` every line on stdout is one JSON object with an ``"event"``
key, so a script can ``jq`` the stream; errors become
``{"event":"error",…}`` objects on stdout too (one stream to parse).
Without ``--json`` each event is one readable line on stdout and each error
one line on stderr: cause, remedy and ids.

Relay events (:mod:`relaydesk.relay.events`) are converted by
:func:`event_record`; records never hold a token, key or secret, and header
values of credential headers are masked.
"""

from __future__ import annotations

import base64
import json
import math
import re
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from relaydesk.cli.exit_codes import describe_error
from relaydesk.protocol.redaction import redact_headers
from relaydesk.relay import common_events as ev

__all__ = [
    "Output",
    "data_fields",
    "event_record",
    "format_human",
    "iso_time",
    "terminal_safe",
]

#: Longest text shown on one human line before it is shortened.
_HUMAN_TEXT_LIMIT = 200


def iso_time(seconds: float | None) -> str | None:
    """Format epoch seconds as ISO 8601 UTC (``2026-11-28T20:40:00Z``), or None."""
    if seconds is None or math.isinf(seconds) or math.isnan(seconds):
        return None
    stamp = datetime.fromtimestamp(seconds, UTC)
    return stamp.isoformat(timespec="seconds").replace("+00:00", "Z")


def data_fields(data: str | bytes, *, utf8_as_text: bool = False) -> dict[str, Any]:
    """``{"text": …}`` for text, ``{"data_b64": …}`` for bytes; plus ``size`` in bytes.

    Args:
        data: a WebSocket message (text or binary frame) or an HTTP body.
        utf8_as_text: show bytes that are valid UTF-8 as ``text`` (HTTP
            bodies); WebSocket binary frames stay ``data_b64`` so a script
            can tell the frame types apart.
    """
    if isinstance(data, str):
        return {"text": data, "size": len(data.encode())}
    if utf8_as_text:
        try:
            return {"text": data.decode("utf-8"), "size": len(data)}
        except UnicodeDecodeError:
            pass
    return {"data_b64": base64.b64encode(data).decode("ascii"), "size": len(data)}


def token_fields(token: ev.TokenInfo, *, now: float | None = None) -> dict[str, Any]:
    """Display fields of a token: kind, identity, expiry, cache; never the value."""
    fields: dict[str, Any] = {
        "kind": token.kind,
        "identity": token.identity,
        "expires_at": iso_time(token.expires_at),
        "from_cache": token.from_cache,
    }
    if token.expires_at is not None and now is not None:
        fields["expires_in"] = round(token.expires_at - now)
    return fields


def error_fields(error: ev.ErrorInfo) -> dict[str, Any]:
    """The fields of an :class:`~relaydesk.relay.events.ErrorInfo`, ``None`` dropped."""
    fields: dict[str, Any] = {"kind": error.kind, "message": error.message}
    if error.remedy:
        fields["remedy"] = error.remedy
    if error.status is not None:
        fields["status"] = error.status
    if error.tracking_id:
        fields["tracking_id"] = error.tracking_id
    return fields


def _state_record(event: ev.StateChanged) -> dict[str, Any]:
    record: dict[str, Any] = {"event": event.state.value}
    if event.state is ev.ConnectionState.RECONNECTING:
        record["attempt"] = event.attempt
        if event.next_try_in is not None:
            record["next_try_in"] = round(event.next_try_in, 3)
    if event.error is not None:
        record["error"] = error_fields(event.error)
    return record


def _http_record(event: ev.HttpRequestReceived | ev.HttpResponseSent) -> dict[str, Any]:
    if isinstance(event, ev.HttpRequestReceived):
        record: dict[str, Any] = {"event": "request", "id": event.request_id}
        record.update(method=event.method, target=event.target)
    else:
        record = {"event": "response", "id": event.request_id, "status": event.status}
        record["elapsed_ms"] = round(event.elapsed * 1000, 3)
        if event.body_size is not None:
            record["body_size"] = event.body_size
        for hop, seconds in event.timings.items():
            record[f"{hop}_ms"] = round(seconds * 1000, 3)
    record["headers"] = redact_headers(event.headers)
    record.update(data_fields(event.body, utf8_as_text=True))
    record["via_rendezvous"] = event.via_rendezvous
    return record


def event_record(event: ev.Event, *, now: float | None = None) -> dict[str, Any] | None:
    """Convert a relay event to a JSON-ready record, or ``None`` to skip it."""
    # The listener's events: a sender's process need not create their classes.
    from relaydesk.relay.events import (
        ChannelClosed,
        ConnectionAccepted,
        ConnectionRejected,
        TokenRenewed,
    )

    side = {"side": event.side}
    match event:
        case ev.StateChanged():
            return {**_state_record(event), **side}
        case ConnectionAccepted():
            remote = f"{event.remote_address}:{event.remote_port}" if event.remote_address else None
            return {"event": "accepted", "connection": event.connection_id, "remote": remote}
        case ConnectionRejected():
            return {"event": "rejected", "connection": event.connection_id, "status": event.status}
        case ev.ConnectionEnded():
            return {"event": "closed", "connection": event.connection_id, "code": event.code}
        case ev.MessageReceived() | ev.MessageSent():
            name = "message" if isinstance(event, ev.MessageReceived) else "sent"
            return {"event": name, "connection": event.connection_id, **data_fields(event.data)}
        case ev.HttpRequestReceived() | ev.HttpResponseSent():
            return _http_record(event)
        case TokenRenewed():
            fields = token_fields(event.token, now=now)
            return {"event": "token_renewed", **fields, "renewals": event.renewals, **side}
        case ev.TokenAcquired():
            return {"event": "token_acquired", **token_fields(event.token, now=now), **side}
        case ev.ChannelOpened():
            return {"event": "channel_opened", "channel": event.channel_id, "url": event.url}
        case ChannelClosed():
            return {"event": "channel_closed", "channel": event.channel_id, "code": event.code}
        case ev.ErrorOccurred():
            return {"event": "error", **error_fields(event.error), **side}
        case ev.EventsDropped():
            return {"event": "dropped", "count": event.count}
    return None


#: C0 and C1 control characters and DEL: a terminal acts on them (escape sequences
#: retitle the window, move the cursor, rewrite what was printed).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` with every control character shown as ``\\xNN``.

    Human lines quote what a peer chose (a request target, a close reason, an
    error message); a hostile sender or relay must not drive the terminal.
    """
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def _shorten(text: str) -> str:
    """Quote ``text`` on one line (JSON escapes), cut to a readable length."""
    if len(text) > _HUMAN_TEXT_LIMIT:
        text = text[: _HUMAN_TEXT_LIMIT - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


_SKIP_IN_HUMAN = frozenset({"event", "headers", "text", "data_b64", "side"})


def format_human(record: Mapping[str, Any]) -> str:
    """One readable line for a record: ``event key=value … "text"``."""
    parts = [str(record.get("event", "?"))]
    for key, value in record.items():
        if key in _SKIP_IN_HUMAN or value is None:
            continue
        if isinstance(value, Mapping):
            value = " ".join(f"{k}={v}" for k, v in value.items() if v is not None)
            value = f"({value})"
        parts.append(f"{key}={value}")
    if "text" in record:
        parts.append(_shorten(str(record["text"])))
    elif "data_b64" in record:
        parts.append("<binary>")
    return terminal_safe(" ".join(parts))


class Output:
    """Where a command prints: JSON lines or human lines, plus errors.

    Args:
        json_mode: print one JSON object per line (``--json``).
        debug: print tracebacks of unexpected errors (``--debug``).
        command: the subcommand running (remedies point to its ``--help``).
        stdout, stderr: the streams (default: ``sys.stdout``/``sys.stderr``
            looked up at each write, so pytest's capsys sees them).
    """

    def __init__(
        self,
        *,
        json_mode: bool = False,
        debug: bool = False,
        command: str = "",
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.json_mode = json_mode
        self.debug = debug
        self.command = command
        self._stdout = stdout
        self._stderr = stderr

    @property
    def out(self) -> TextIO:
        return self._stdout if self._stdout is not None else sys.stdout

    @property
    def err(self) -> TextIO:
        return self._stderr if self._stderr is not None else sys.stderr

    def emit(self, record: Mapping[str, Any], *, human: str | None = None) -> None:
        """Print one event record (JSON line, or ``human``/generic text)."""
        if self.json_mode:
            line = json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":"))
        else:
            line = human if human is not None else format_human(record)
        print(line, file=self.out, flush=True)

    def relay_event(self, event: ev.Event, *, now: float | None = None) -> None:
        """Print a relay event (skipped when it has no record)."""
        record = event_record(event, now=now)
        if record is not None:
            self.emit_at(record, event.at)

    def emit_at(self, record: Mapping[str, Any], at: float) -> None:
        """Print ``record``; a person's line starts with the local time ``HH:MM:SS``."""
        clock = datetime.fromtimestamp(at).strftime("%H:%M:%S")
        self.emit(record, human=f"{clock} {format_human(record)}")

    def warn(self, message: str) -> None:
        """Print a warning on stderr (both modes: it is meant for a person)."""
        print(f"relaydesk: warning: {terminal_safe(message)}", file=self.err, flush=True)

    def error(self, exc: BaseException) -> int:
        """Report ``exc`` in one line (or one JSON object); return its exit code."""
        record = describe_error(exc, self.command)
        if not _is_ours(exc):
            record["remedy"] = "run with --debug for details"
        if self.debug:
            traceback.print_exception(exc, file=self.err)
        self.report(record)
        code: int = record["exit_code"]
        return code

    def report(self, record: Mapping[str, Any]) -> None:
        """Print an error record: JSON on stdout, or one line on stderr."""
        if self.json_mode:
            self.emit({"event": "error", **record})
            return
        print(f"relaydesk: error: {error_line(record)}", file=self.err, flush=True)


def _is_ours(exc: BaseException) -> bool:
    from relaydesk.errors import RelayDeskError

    return isinstance(exc, RelayDeskError)


_ID_LABELS = (
    ("tracking_id", "TrackingId"),
    ("aadsts_code", "AADSTS"),
    ("trace_id", "Trace ID"),
    ("correlation_id", "Correlation ID"),
)


def error_line(record: Mapping[str, Any]) -> str:
    """``cause — remedy [TrackingId: …, Trace ID: …]`` on one line (the TrackingId once)."""
    from relaydesk.relay.failures import without_tracking_trailer

    line = without_tracking_trailer(str(record.get("message", "error")), record.get("tracking_id"))
    remedy = record.get("remedy")
    if remedy:
        line += f" — {remedy}"
    ids = [
        f"{label}{'' if label == 'AADSTS' else ': '}{record[key]}"
        for key, label in _ID_LABELS
        if record.get(key)
    ]
    if ids:
        line += f" [{', '.join(ids)}]"
    return terminal_safe(line.replace("\n", " "))
