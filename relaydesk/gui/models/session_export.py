"""Write a session as JSON Lines with every secret redacted (Qt-free).

Support engineers attach the export to tickets, so nothing that grants access
may be in it: the events themselves are display-safe by contract
(``relay/events.py``), and every string is additionally passed through
:func:`~relaydesk.protocol.redaction.redact_text` in case a message body,
URL or header carries a token (§2 ``sb-hc-token``, §9 SAS, JWTs).
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from relaydesk.protocol.redaction import redact_text, redact_value
from relaydesk.relay.events import Event


def event_record(event: Event) -> dict[str, object]:
    """Return one redacted, JSON-serialisable record for ``event``."""
    record: dict[str, object] = {"type": type(event).__name__}
    for field in dataclasses.fields(event):
        record[field.name] = _plain(getattr(event, field.name))
    redacted = redact_value(record)
    assert isinstance(redacted, dict)  # redact_value maps a dict to a dict
    return redacted


def export_jsonl(path: str | Path, events: Iterable[Event]) -> int:
    """Write ``events`` to ``path`` as JSON Lines, redacted; return the number written.

    Raises:
        OSError: when the file cannot be written (the caller shows it).
    """
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        for event in events:
            out.write(json.dumps(event_record(event), ensure_ascii=False) + "\n")
            count += 1
    return count


def _plain(value: object) -> object:
    """Convert dataclasses, enums, mappings and bytes into JSON-ready values."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return _plain_bytes(value)
    return value


def _plain_bytes(data: bytes) -> dict[str, object]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        # Redact on a lossless latin-1 view so a token inside binary data goes too.
        scrubbed = redact_text(data.decode("latin-1")).encode("latin-1", "replace")
        return {"base64": base64.b64encode(scrubbed).decode("ascii"), "size": len(data)}
