"""WebSocket close helpers shared by the relay handlers (§4.3, §5.2)."""

from __future__ import annotations

__all__ = ["close_reason", "relayable_code"]

_MAX_REASON_BYTES = 123  # RFC 6455 §5.5: control frame payload ≤ 125 bytes


def close_reason(text: str) -> bytes:
    """Encode a close reason, cut to the 123 bytes a close frame can carry."""
    data = text.encode("utf-8")
    if len(data) <= _MAX_REASON_BYTES:
        return data
    return data[:_MAX_REASON_BYTES].decode("utf-8", "ignore").encode("utf-8")


def relayable_code(code: object) -> int:
    """Map a received close code to one that may be sent on (RFC 6455 §7.4).

    1005/1006/1015 (and anything outside the sendable ranges) must never
    appear on the wire; they become 1000.
    """
    if isinstance(code, int) and (
        code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014)
        or 3000 <= code <= 4999
    ):
        return code
    return 1000
