"""The one set of redaction rules: no credential leaves RelayDesk in text.

Every edge that shows or writes text from the wire uses these functions: the
CLI's output, the GUI's logs, timeline and exports, error messages built from a
peer's close reason or an exception, and the ``websockets`` handshake log
(:class:`relaydesk.relay.redact.RedactingLogger`). Credentials in the protocol
travel in the ``ServiceBusAuthorization`` / ``Authorization`` headers and the
``sb-hc-token`` query parameter (§3, §5.1, §7.1); SAS tokens (§9) and Entra
JWTs (§10) are recognised by shape wherever they are quoted, and so are the
``SharedAccessKey=`` of a connection string (§9.1) and OAuth values in queries.

Sans-I/O like the rest of :mod:`relaydesk.protocol`: plain functions on
strings and JSON-like values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from relaydesk.protocol.wire_names import AUTH_HEADER, TOKEN_PARAM

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "redact_headers",
    "redact_text",
    "redact_value",
]

#: What a secret is replaced with.
REDACTED = "<redacted>"

#: Header names (lower case) whose whole value is a credential.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        AUTH_HEADER.lower(),
        "proxy-authorization",
        "cookie",
        "set-cookie",
        TOKEN_PARAM,
    }
)

#: Keys of JSON-like records whose string values are credentials.
SECRET_KEYS = SECRET_HEADERS | frozenset(
    {
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "secret",
        "key",
        "sas_key",
        "password",
        "sig",
    }
)

#: Query parameters whose values are credentials (sb-hc-token §2, sig §9.2, OAuth).
#: A SAS token keeps its ``sr``, ``se`` and ``skn`` visible: only ``sig`` is secret,
#: and the rule name and expiry are what a reader needs to tell tokens apart.
_SECRET_QUERY = (
    re.escape(TOKEN_PARAM) + r"|sig|access_token|refresh_token|id_token|client_secret|code|password"
    r"|token|api[_-]?key|apikey|secret|signature"  # an app's own tokens in a forwarded URL
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"((?:^|[?&;\s\"'])(?:{_SECRET_QUERY})=)[^&\s\"'<>#;,]*", re.IGNORECASE), r"\1"),
    (re.compile(r"(SharedAccessKey=)[^;\s\"'<>]*", re.IGNORECASE), r"\1"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), ""),
    (
        re.compile(
            # A header line or a JSON/dict key, not prose ("requires authorization: …").
            r"((?:^|[\"'{,>])\s*\"?(?:ServiceBus|Proxy-)?Authorization\"?\s*[:=]\s*\"?)"
            r"(?!<redacted>)[^\r\n\"]+",
            re.IGNORECASE | re.MULTILINE,
        ),
        r"\1",
    ),
)


def redact_text(text: str) -> str:
    """Return ``text`` with every token, signature and key replaced by ``<redacted>``."""
    for pattern, keep in _PATTERNS:
        text = pattern.sub(keep + REDACTED, text)
    return text


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Copy ``headers`` with credential header values hidden and the rest scrubbed."""
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS else redact_text(value)
        for name, value in headers.items()
    }


def redact_value(value: object, key: str = "") -> object:
    """Recursively redact a JSON-like value; string values under secret keys go entirely."""
    if isinstance(value, str):
        return REDACTED if key.lower() in SECRET_KEYS else redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item, key) for item in value]
    return value
