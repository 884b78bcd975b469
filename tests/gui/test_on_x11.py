"""The app on a real X server (Qt's xcb platform), as a double-clicked app runs on Linux."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.self_test_run import run_self_test
from tests.x_server import XCB_ENV, x_display

__all__ = ["x_display"]  # the fixture, imported for pytest

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


def test_self_test_passes_on_a_real_x_server(x_display: str, tmp_path: Path) -> None:
    env = dict(os.environ, **XCB_ENV, DISPLAY=x_display)
    env["RELAYDESK_CONFIG_DIR"] = str(tmp_path / "config")
    env.pop("WAYLAND_DISPLAY", None)
    run_self_test([sys.executable, "-m", "relaydesk"], env, tmp_path / "shot.png", timeout=120)
