"""Remove secrets from text and structures before they leave the app.

Used for exported sessions and for on-screen HTTP headers (screenshots end up
in tickets too). Redacted: ``sb-hc-token`` query values (§2), SAS tokens
(``SharedAccessSignature sr=…&sig=…``, §9), ``sig=`` and ``SharedAccessKey=``
values, anything shaped like a JWT (``eyJ….….…``) and the values of the
``Authorization`` / ``ServiceBusAuthorization`` headers (§5.1, §7.1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

REDACTED = "<redacted>"

SECRET_HEADERS = frozenset(
    {"authorization", "servicebusauthorization", "proxy-authorization", "cookie", "sb-hc-token"}
)
SECRET_KEYS = SECRET_HEADERS | frozenset(
    {"token", "client_secret", "secret", "key", "sas_key", "password", "sig"}
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"SharedAccessSignature\s+[^\s\"'<>]+", re.IGNORECASE), "SharedAccessSignature "),
    (re.compile(r"(sb-hc-token=)[^&\s\"'<>#]*", re.IGNORECASE), r"\1"),
    (re.compile(r"(\bsig=)[^&\s\"'<>;]*", re.IGNORECASE), r"\1"),
    (re.compile(r"(SharedAccessKey=)[^;\s\"'<>]*", re.IGNORECASE), r"\1"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), ""),
    (
        re.compile(
            r"((?:Service[Bb]us)?Authorization\"?\s*[:=]\s*\"?)(?!<redacted>)[^\r\n\"]+",
            re.IGNORECASE,
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
    """Return a copy of ``headers`` with secret header values hidden and the rest scrubbed."""
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
