"""Service-style refusals: status, reason phrase with TrackingId, JSON body.

The service reports errors on a failed upgrade only through the status line
(§4.2), and on HTTP requests additionally as a JSON body
``{"error":{"code":…,"message":…}}`` (§7.1). Both carry the same message,
ending in ``TrackingId:<guid>_G0, SystemTracker:sb://<ns>/<path>, Timestamp:<utc>``.
No token material ever goes into these texts.
"""

from __future__ import annotations

import json
import time
import uuid

from aiohttp import web

__all__ = ["error_response", "reason_phrase", "service_message"]

_REASON_MAX = 512


def service_message(text: str, namespace: str, path: str) -> str:
    """Append the service's tracking suffix to ``text`` (§4.2)."""
    tracking = f"{uuid.uuid4()}_G0"
    stamp = time.strftime("%m/%d/%Y %I:%M:%S %p", time.gmtime())
    tracker = f"sb://{namespace}/{path}"
    return f"{text} TrackingId:{tracking}, SystemTracker:{tracker}, Timestamp:{stamp}"


def reason_phrase(text: str) -> str:
    """Make ``text`` safe for an HTTP status line: one line, printable ASCII."""
    cleaned = "".join(ch if 32 <= ord(ch) < 127 else " " for ch in text)
    return cleaned.strip()[:_REASON_MAX] or "Error"


def error_response(status: int, code: str, text: str, *, namespace: str, path: str) -> web.Response:
    """Build a refusal with the message in both the reason phrase and the body."""
    message = service_message(text, namespace, path)
    body = json.dumps({"error": {"code": code, "message": message}})
    return web.Response(
        status=status,
        reason=reason_phrase(message),
        body=body.encode(),
        content_type="application/json",
    )
