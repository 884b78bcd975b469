"""Turn library exceptions into RelayDesk's typed errors, and errors into events.

Three families of failure reach the relay client (protocol §4.2, §4.3, §6,
§7.1):

* a refused handshake or HTTP request — a status with the service's reason
  text, which carries ``TrackingId:`` (§4.2), and on HTTP a JSON body
  ``{"error":{"code":…,"message":…}}`` (§7.1) — becomes the
  :class:`~relaydesk.errors.HandshakeFailed` subclass for its status;
* a close of an established channel (1001/1008/1011 …, §4.3) becomes
  :class:`~relaydesk.errors.ConnectionClosed` whose reason says what the code
  means;
* TCP, DNS or TLS failures become :class:`~relaydesk.errors.RelayUnreachable`.

Telling the service's refusals from the listener's own statuses (§5.3,
§7.1): the service always puts ``TrackingId:`` in its reason phrase (and,
for HTTP, in a JSON ``error`` body); a listener's status carries only the
listener's own description. So a refusal *without* a TrackingId is the
listener's (a WebSocket rejection → ListenerRejected; an HTTP listener
response is returned, whatever its status). ``Via`` alone does not decide:
the emulator adds it to its own 502/504 as well (see :func:`is_service_error`).

No text produced here contains a token: reasons and bodies are passed
through :func:`~relaydesk.protocol.redaction.redact_text` as a last defence.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Mapping

from relaydesk.errors import (
    ConnectionClosed,
    ForwardingFailed,
    HandshakeFailed,
    RelayDeskError,
    RelayError,
    RelayUnreachable,
    TokenRejected,
    handshake_error_for_status,
)
from relaydesk.protocol.redaction import redact_text
from relaydesk.relay.common_events import ErrorInfo
from relaydesk.remedies import remedy_for

__all__ = [
    "CLOSE_MEANINGS",
    "closed_error",
    "error_info",
    "handshake_error",
    "is_service_error",
    "parse_tracking_id",
    "translate_ws_error",
    "unreachable_error",
    "with_remedy",
    "without_tracking_trailer",
]

_TRACKING_RE = re.compile(r"TrackingId:\s*([^,\s]+)")
#: The tail the service appends to every refusal (§4.2):
#: `` TrackingId:<id>, SystemTracker:<entity>, Timestamp:<utc>``.
_SERVICE_TRAILER = re.compile(r"[\s,;]*\bTrackingId:\s*\S.*$", re.DOTALL)

#: What a close code on an established channel means (§4.3, §5.2, §6).
CLOSE_MEANINGS: Mapping[int, str] = {
    1000: "closed normally",
    1001: "the hybrid connection was deleted or disabled, or the peer went away",
    1006: "the connection dropped without a close frame",
    1008: "token expired or renewal rejected",
    1009: "a message was larger than the receiving side accepts",
    1011: "the relay had an internal error (or recycled the listener)",
}


def parse_tracking_id(*texts: str | None) -> str | None:
    """Return the first ``TrackingId:<id>`` found in ``texts`` (§4.2)."""
    for text in texts:
        if text:
            match = _TRACKING_RE.search(text)
            if match:
                return match.group(1)
    return None


def without_tracking_trailer(message: str, tracking_id: str | None) -> str:
    """Drop the service's ``TrackingId: …, SystemTracker: …, Timestamp: …`` tail (§4.2).

    For displays that show the TrackingId on its own (the GUI's badge and
    timeline, the CLI's ``[TrackingId: …]``), so it does not appear twice.
    Machine-readable output keeps the raw text. Nothing is cut unless
    ``tracking_id`` (as extracted by :func:`parse_tracking_id`) is in it.
    """
    if not tracking_id or tracking_id not in message:
        return message
    return _SERVICE_TRAILER.sub("", message) or message


def _error_body_message(body: bytes) -> str | None:
    """The ``error.message`` of the service's JSON error body (§7.1), if any."""
    if not body or body[:1] not in (b"{", b" ", b"\n"):
        return None
    try:
        document = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    error = document.get("error")
    if not isinstance(error, dict):
        return None
    message = error.get("message")
    code = error.get("code")
    if isinstance(message, str):
        return message
    return code if isinstance(code, str) else ""


def is_service_error(
    status: int, reason: str, body: bytes, headers: Mapping[str, str] | None = None
) -> bool:
    """Whether a refusal came from the relay service rather than the listener.

    The service's signature is ``TrackingId:`` in its reason phrase or in
    the JSON error body's message (§4.2, §7.1): that decides. Without it, a
    JSON ``{"error":…}`` body still means the service unless the response
    carries ``Via``, which the service adds to what the listener sent
    (§7.1). A listener's reason that quotes a TrackingId would be misread;
    accepted, since listeners have no reason to.

    Args:
        status: the HTTP status.
        reason: the reason phrase.
        body: the response body (may be empty).
        headers: response headers, if any.
    """
    if status < 400:
        return False
    body_message = _error_body_message(body)
    if "TrackingId:" in reason or (body_message and "TrackingId:" in body_message):
        return True
    has_via = headers is not None and any(k.lower() == "via" for k in headers)
    return body_message is not None and not has_via


def handshake_error(
    status: int,
    reason: str,
    body: bytes = b"",
    *,
    headers: Mapping[str, str] | None = None,
) -> HandshakeFailed:
    """Build the typed error for a refused WebSocket upgrade (§4.2, §5.3, §6).

    The reason is the status line's phrase, or the JSON body's message when
    the phrase is empty; the TrackingId is parsed from either.
    """
    from_listener = not is_service_error(status, reason, body, headers)
    body_message = _error_body_message(body)
    text = redact_text(reason or body_message or "")
    tracking = parse_tracking_id(reason, body_message)
    return handshake_error_for_status(
        status, text, tracking_id=tracking, from_listener=from_listener
    )


def closed_error(code: int | None, reason: str = "") -> ConnectionClosed:
    """Build :class:`ConnectionClosed` with a reason that explains the code (§4.3).

    ``None`` (no close frame received) is reported as 1006.
    """
    code = 1006 if code is None else code
    meaning = CLOSE_MEANINGS.get(code, "closed by the peer")
    reason = redact_text(reason.strip())
    return ConnectionClosed(code, f"{meaning} ({reason})" if reason else meaning)


def unreachable_error(exc: BaseException, where: str) -> RelayUnreachable:
    """Build :class:`RelayUnreachable` for a TCP/DNS/TLS failure to ``where``."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = f"the TLS certificate of {where} is not trusted ({exc.verify_message})"
    elif isinstance(exc, ssl.SSLError):
        detail = f"TLS with {where} failed ({exc.reason or exc})"
    elif isinstance(exc, TimeoutError):
        detail = f"{where} did not answer in time"
    else:
        detail = (
            f"cannot connect to {where} ({exc.strerror or exc})"
            if isinstance(exc, OSError)
            else f"cannot connect to {where} ({type(exc).__name__})"
        )
    return RelayUnreachable(redact_text(detail))


def translate_ws_error(exc: BaseException, where: str) -> RelayError | None:
    """Map a ``websockets``/socket exception to a typed error, or ``None``.

    ``None`` means ``exc`` is not a connection failure (a bug, a
    cancellation) and must propagate unchanged.

    Args:
        exc: what ``websockets.asyncio.client.connect``/``recv``/``send`` raised.
        where: display-safe "host:port" for the message.
    """
    if isinstance(exc, RelayError):
        return exc
    # Imported here: the GUI builds its error texts from this module at
    # start-up, long before (and whether or not) a socket is opened, and
    # websockets costs ~15 ms to import (importlib.metadata, urllib.request).
    from websockets.exceptions import ConnectionClosed as WsConnectionClosed
    from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

    if isinstance(exc, InvalidStatus):
        response = exc.response
        headers = {k: v for k, v in response.headers.raw_items()}
        return handshake_error(
            response.status_code,
            response.reason_phrase,
            bytes(response.body or b""),
            headers=headers,
        )
    if isinstance(exc, WsConnectionClosed):
        frame = exc.rcvd
        return closed_error(frame.code if frame else None, frame.reason if frame else "")
    if isinstance(exc, InvalidURI):
        return RelayUnreachable(f"the URL for {where} is not valid")
    if isinstance(exc, InvalidHandshake):
        return RelayUnreachable(
            redact_text(f"{where} did not complete the WebSocket handshake ({exc})")
        )
    if isinstance(exc, OSError | TimeoutError | EOFError):
        return unreachable_error(exc, where)
    return None


def with_remedy(exc: RelayDeskError, *, side: str, identity: str = "") -> RelayDeskError:
    """Give a refusal the remedy for the side and identity that met it; return ``exc``.

    The connecting code knows both (the CLI and the GUI see only the exception),
    so a 401 met by an anonymous sender says the hybrid connection needs a
    token, a 403 names the missing role (§6, §10.5). A remedy the raiser set
    itself is kept.
    """
    if isinstance(exc, HandshakeFailed) and not exc.remedy:
        exc.remedy = remedy_for(exc, side=side, identity=identity)
    return exc


def error_info(
    exc: BaseException, *, side: str = "", identity: str = "", edge: str = ""
) -> ErrorInfo:
    """Describe ``exc`` for an event: class name, cause, remedy, status, ids.

    The remedy comes from :func:`relaydesk.remedies.remedy_for`, tailored by
    ``side``, ``identity`` and ``edge`` when the caller knows them. Unknown
    exceptions (bugs) get their class name only, never their text, since a
    foreign message could quote anything.
    """
    status: int | None = None
    tracking: str | None = None
    if isinstance(exc, HandshakeFailed):
        status, tracking = exc.status, exc.tracking_id
    elif isinstance(exc, ConnectionClosed):
        status, tracking = exc.code, parse_tracking_id(exc.reason)
    elif isinstance(exc, TokenRejected | ForwardingFailed):
        status = exc.status
    message = redact_text(str(exc)) if isinstance(exc, RelayDeskError) else "unexpected error"
    return ErrorInfo(
        kind=type(exc).__name__,
        message=message,
        remedy=remedy_for(exc, side=side, identity=identity, edge=edge),
        status=status,
        tracking_id=tracking,
    )
