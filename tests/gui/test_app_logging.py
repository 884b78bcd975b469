"""Library warnings go to the log file, never raw to the terminal; records are redacted."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from relaydesk.gui.app_logging import LOG_FILE_NAME, configure_logging


@pytest.fixture
def clean_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    own_level = logging.getLogger("relaydesk").level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.getLogger("relaydesk").setLevel(own_level)
    logging.captureWarnings(False)


def test_library_warnings_reach_the_file_not_the_terminal(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], clean_logging: None
) -> None:
    path = configure_logging(tmp_path)
    assert path == tmp_path / LOG_FILE_NAME
    logging.getLogger("urllib3.connectionpool").warning(
        "Retrying (Retry(total=0)) after connection broken by 'NameResolutionError'"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("Unverified HTTPS request", UserWarning, stacklevel=1)
    logging.getLogger("relaydesk.gui.bridges.demo_bridge").warning(
        "the emulator did not stop within 2.0 s"
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    err = capfd.readouterr().err
    assert "Retrying" not in err and "Unverified" not in err
    assert "the emulator did not stop" in err  # the app's own words still show
    text = path.read_text(encoding="utf-8")
    assert "NameResolutionError" in text and "Unverified HTTPS request" in text


def test_records_are_redacted(tmp_path: Path, clean_logging: None) -> None:
    path = configure_logging(tmp_path)
    assert path is not None
    token = "SharedAccessSignature sr=x&sig=c2VjcmV0c2lnbmF0dXJl&se=1&skn=k"
    logging.getLogger("websockets.client").warning("failed with %s", token)
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "c2VjcmV0c2lnbmF0dXJl" not in path.read_text(encoding="utf-8")
