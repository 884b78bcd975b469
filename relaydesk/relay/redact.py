"""Keep tokens out of logs and error text.

Tokens travel only in the ``ServiceBusAuthorization`` header (§3), never in
a URL, so RelayDesk's own messages cannot contain one. Two places could
still leak: the ``websockets`` library logs every handshake header at DEBUG
level, and text that comes from elsewhere (a peer's close reason, an
exception message) might quote a token. :class:`RedactingLogger` masks the
first, :func:`redact` the second.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

__all__ = ["SENSITIVE_HEADERS", "RedactingLogger", "redact"]

#: Header names whose values are credentials (§3).
SENSITIVE_HEADERS = frozenset({"servicebusauthorization", "authorization", "cookie"})

_PATTERNS = (
    # SAS signature and the token query parameter (§9.2, §2).
    re.compile(r"(?i)(sig=)[^&\s\"',]+"),
    re.compile(r"(?i)(sb-hc-token=)[^&\s\"',]+"),
    # A JWT: three base64url parts, the first starting with {" (eyJ).
    re.compile(r"()eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
)


def redact(text: str) -> str:
    """Mask SAS signatures, ``sb-hc-token`` values and JWTs in ``text``."""
    for pattern in _PATTERNS:
        text = pattern.sub(r"\1<redacted>", text)
    return text


class RedactingLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger for ``websockets`` that masks credential headers.

    ``websockets`` logs handshakes as ``logger.debug("> %s: %s", name,
    value)`` per header; the value of a :data:`SENSITIVE_HEADERS` header is
    replaced before formatting, and every string argument is passed through
    :func:`redact` for good measure.
    """

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Log like :meth:`logging.Logger.log` with credentials masked."""
        if not self.isEnabledFor(level):
            return
        clean: list[object] = list(args)
        if len(clean) == 2 and isinstance(clean[0], str) and clean[0].lower() in SENSITIVE_HEADERS:
            clean[1] = "<redacted>"
        clean = [redact(a) if isinstance(a, str) else a for a in clean]
        self.logger.log(level, msg, *clean, **kwargs)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        """Pass the message through unchanged (masking happens in :meth:`log`)."""
        return msg, kwargs
