"""Keep credential headers out of the ``websockets`` handshake log.

``websockets`` logs every handshake header at DEBUG level. Tokens travel in
the ``ServiceBusAuthorization`` header (§3), so :class:`RedactingLogger` masks
those values before they are formatted. The rules themselves (which headers,
which shapes of text) live in :mod:`relaydesk.protocol.redaction`.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from relaydesk.protocol.redaction import REDACTED, SECRET_HEADERS, redact_text

__all__ = ["RedactingLogger"]


class RedactingLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger for ``websockets`` that masks credential headers.

    ``websockets`` logs handshakes as ``logger.debug("> %s: %s", name,
    value)`` per header; the value of a secret header is replaced before
    formatting, and every string argument is passed through
    :func:`~relaydesk.protocol.redaction.redact_text` for good measure.
    """

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Log like :meth:`logging.Logger.log` with credentials masked."""
        if not self.isEnabledFor(level):
            return
        clean: list[object] = list(args)
        if len(clean) == 2 and isinstance(clean[0], str) and clean[0].lower() in SECRET_HEADERS:
            clean[1] = REDACTED
        clean = [redact_text(a) if isinstance(a, str) else a for a in clean]
        self.logger.log(level, msg, *clean, **kwargs)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        """Pass the message through unchanged (masking happens in :meth:`log`)."""
        return msg, kwargs
