"""The app on a real X server (Qt's xcb platform), as a double-clicked app runs on Linux."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.x_server import XCB_ENV, x_display

__all__ = ["x_display"]  # the fixture, imported for pytest

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


def test_self_test_passes_on_a_real_x_server(x_display: str, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    env = dict(os.environ, **XCB_ENV, DISPLAY=x_display)
    env["RELAYDESK_CONFIG_DIR"] = str(tmp_path / "config")
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-m", "relaydesk", "--demo", "--self-test", "--screenshot", str(shot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "self-test passed" in result.stdout
    assert "Traceback" not in output
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
