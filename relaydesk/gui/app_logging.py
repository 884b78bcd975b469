"""Where the desktop app's log goes: a file, and the terminal only for the app's own words.

Libraries log warnings meant for developers (urllib3 "Retrying … after
connection broken by NameResolutionError", asyncio, websockets); printed raw
in the terminal of a desktop app they read like crashes. The app reports
those failures itself, with cause and remedy, in the window. So every record
goes to ``relaydesk.log`` in the log directory, and the terminal gets only
RelayDesk's own warnings. Python warnings (``warnings.warn``) are routed
through logging, so they follow the same rule.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

__all__ = ["LOG_FILE_NAME", "configure_logging", "log_dir"]

LOG_FILE_NAME = "relaydesk.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MAX_BYTES = 1_000_000


def log_dir() -> Path:
    """The log directory: ``RELAYDESK_CONFIG_DIR`` when set (tests, portable use), else the OS's."""
    override = os.environ.get("RELAYDESK_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_log_dir("relaydesk", appauthor=False))


class _Redacting(logging.Filter):
    """Redact tokens, keys and signatures in a record before it is written anywhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        from relaydesk.protocol.redaction import redact_text

        record.msg = redact_text(record.getMessage())
        record.args = None
        return True


class _OwnRecords(logging.Filter):
    """Pass only RelayDesk's own records (``relaydesk.*``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name == "relaydesk" or record.name.startswith("relaydesk.")


def configure_logging(directory: Path | None = None) -> Path | None:
    """Send every record to the log file and only RelayDesk's warnings to stderr.

    Returns:
        The log file, or ``None`` when it could not be opened (then nothing is
        written to disk and library records are dropped, still not printed).
    """
    root = logging.getLogger()
    root.setLevel(logging.WARNING)  # libraries: warnings and worse (their INFO may hold URLs)
    logging.getLogger("relaydesk").setLevel(logging.INFO)
    terminal = logging.StreamHandler()
    terminal.addFilter(_Redacting())
    terminal.setLevel(logging.WARNING)
    terminal.addFilter(_OwnRecords())
    terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(terminal)
    logging.captureWarnings(True)
    path = (directory or log_dir()) / LOG_FILE_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=_MAX_BYTES, backupCount=1, encoding="utf-8"
        )
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write the log file %s: %s", path, exc)
        return None
    file_handler.addFilter(_Redacting())
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(file_handler)
    return path
