"""write_atomically: whole content, requested mode, nothing left behind on failure."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from relaydesk.atomic_files import write_atomically


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "state.json"
    write_atomically(target, b"one")
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
@pytest.mark.parametrize("mode", [0o600, 0o644])
def test_file_ends_with_the_requested_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "key.pem"
    write_atomically(target, b"x", mode=mode)
    assert _mode(target) == mode


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_default_mode_is_private(tmp_path: Path) -> None:
    target = tmp_path / "secrets.json"
    write_atomically(target, b"x")
    assert _mode(target) == 0o600


def test_failure_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "dir-in-the-way"
    target.mkdir()
    (target / "keep").write_text("old")
    with pytest.raises(OSError):
        write_atomically(target, b"new")  # cannot replace a non-empty directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir-in-the-way"]
