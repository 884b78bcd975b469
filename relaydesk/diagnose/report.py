"""The diagnosis as text for a support ticket: versions, steps, facts — redacted.

Everything that goes in passes :func:`relaydesk.protocol.redaction.redact_text`
(tokens, signatures, keys, ``sb-hc-token`` …); the events themselves never
carry a token or a secret, and proxy URLs are shown without credentials.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

from relaydesk import __version__
from relaydesk.diagnose.model import DiagnoseFinished, DiagnoseStatus, DiagnoseStep
from relaydesk.protocol.redaction import redact_text

__all__ = ["environment", "format_report", "step_record"]

_ICONS = {"ok": "✔", "warning": "!", "failed": "✘", "skipped": "–", "running": "…"}


def environment() -> dict[str, str]:
    """RelayDesk, Python, Qt (when installed) and OS versions, without importing Qt."""
    qt = "not installed"
    for distribution in ("PySide6", "PySide6-Essentials", "PySide6_Essentials"):
        try:
            qt = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
        break
    return {
        "relaydesk": __version__,
        "python": sys.version.split()[0],
        "qt": f"PySide6 {qt}",
        "os": platform.platform(),
    }


def _safe(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): _safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    return value


def step_record(event: DiagnoseStep) -> dict[str, Any]:
    """One step as the JSON object of ``--json`` (and of the report's data)."""
    record: dict[str, Any] = {
        "event": "step",
        "step": event.step,
        "title": event.title,
        "status": event.status.value,
    }
    if event.duration is not None:
        record["duration_ms"] = round(event.duration * 1000, 1)
    if event.summary:
        record["summary"] = _safe(event.summary)
    if event.seen:
        record["seen"] = _safe(dict(event.seen))
    if event.error is not None:
        record["cause"] = _safe(event.error.message)
        if event.error.remedy:
            record["remedy"] = _safe(event.error.remedy)
        record["kind"] = event.error.kind
        if event.error.tracking_id:
            record["tracking_id"] = event.error.tracking_id
    return record


def format_report(
    target: str,
    proxy: str,
    steps: Iterable[DiagnoseStep],
    finished: DiagnoseFinished | None,
    *,
    now: dt.datetime | None = None,
) -> str:
    """The whole diagnosis as plain text, ready to paste into a ticket."""
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    lines = [f"RelayDesk diagnosis of {redact_text(target)} at {stamp}"]
    lines += [f"  {name}: {value}" for name, value in environment().items()]
    lines.append(f"  proxy mode: {redact_text(proxy)}")
    lines.append("")
    for event in steps:
        if event.status is DiagnoseStatus.RUNNING:
            continue
        record = step_record(event)
        took = f" ({record['duration_ms']:.0f} ms)" if "duration_ms" in record else ""
        lines.append(f"{_ICONS[record['status']]} {event.title}: {record['status']}{took}")
        if "summary" in record:
            lines.append(f"    {record['summary']}")
        if "seen" in record:
            lines.append(f"    seen: {json.dumps(record['seen'], ensure_ascii=False)}")
        if "remedy" in record:
            lines.append(f"    remedy: {record['remedy']}")
        if "tracking_id" in record:
            lines.append(f"    TrackingId: {record['tracking_id']}")
    if finished is not None:
        verdict = "passed" if finished.passed else f"failed at {', '.join(finished.failed_steps)}"
        warned = f"; warnings: {', '.join(finished.warnings)}" if finished.warnings else ""
        lines += ["", f"result: {verdict}{warned} ({finished.duration:.1f} s)"]
    return "\n".join(lines) + "\n"
