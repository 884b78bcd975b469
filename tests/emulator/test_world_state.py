"""Tests for relaydesk.emulator.world_state: corrupt or unwritable state fails clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from relaydesk.emulator.world import SIGNING_KEY_FILE, STATE_FILE, load_world
from relaydesk.errors import EmulatorError


def test_corrupt_state_file(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text("{not json")
    with pytest.raises(EmulatorError, match="corrupt emulator state file"):
        load_world(tmp_path)
    (tmp_path / STATE_FILE).write_text("[]")
    with pytest.raises(EmulatorError, match="corrupt emulator state file"):
        load_world(tmp_path)


def test_corrupt_signing_key(tmp_path: Path) -> None:
    load_world(tmp_path)
    (tmp_path / SIGNING_KEY_FILE).write_text("garbage")
    with pytest.raises(EmulatorError, match="unreadable JWT signing key"):
        load_world(tmp_path)


def test_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(EmulatorError, match="cannot write"):
        load_world(blocker / "data")
