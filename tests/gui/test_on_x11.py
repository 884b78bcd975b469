"""The app on a real X server (Qt's xcb platform), as a double-clicked app runs on Linux."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import stop_process
from tests.self_test_run import run_self_test
from tests.x_server import XCB_ENV, virtual_display, x_display, x_server

__all__ = ["x_display"]  # the fixture, imported for pytest

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


def _env(display: str, config: Path) -> dict[str, str]:
    env = dict(os.environ, **XCB_ENV, DISPLAY=display)
    env["RELAYDESK_CONFIG_DIR"] = str(config)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def _png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def test_self_test_passes_on_a_real_x_server(x_display: str, tmp_path: Path) -> None:
    env = _env(x_display, tmp_path / "config")
    run_self_test([sys.executable, "-m", "relaydesk"], env, tmp_path / "shot.png", timeout=120)


def test_the_self_test_window_fits_a_laptop_screen(tmp_path: Path) -> None:
    with virtual_display(1366, 768) as display:
        shot = tmp_path / "shot.png"
        run_self_test(
            [sys.executable, "-m", "relaydesk"], _env(display, tmp_path / "c"), shot, timeout=120
        )
    width, height = _png_size(shot)
    assert width <= 1366 and height <= 768 - 40, (width, height)  # room for a title bar


def test_the_app_ends_quietly_when_the_x_server_goes_away(tmp_path: Path) -> None:
    config = tmp_path / "config"
    with x_server(1366, 768) as server:
        child = subprocess.Popen(
            [sys.executable, "-m", "relaydesk", "--demo"],
            env=_env(server.display, config),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            log = config / "relaydesk.log"
            deadline = time.monotonic() + 60
            while "started on Qt's xcb platform" not in (
                log.read_text(encoding="utf-8") if log.exists() else ""
            ):
                assert child.poll() is None, child.communicate()
                assert time.monotonic() < deadline, "the app did not start"
                time.sleep(0.1)
            stop_process(server.process)  # the X server dies under the running app
            _out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
    assert "Traceback" not in err, err
    assert "connection to the display was lost" in err
    assert child.returncode == 1, err
