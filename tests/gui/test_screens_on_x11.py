"""The screens a presenter shows, on a real X server at laptop sizes: they fit and look right.

A child process (``tests/gui/screens_on_x11.py``) drives the app on Xvfb
(Qt's xcb platform): first-run greeting and Azure form, "Try it offline"
with messages, Check results, the connection editor with every error shown.
It saves a PNG of each (in ``RELAYDESK_SCREENSHOT_DIR`` when set, to look at
them) and a report of the geometry this test checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.x_server import XCB_ENV, virtual_display

pytestmark = [pytest.mark.gui, pytest.mark.e2e, pytest.mark.slow]

SHOTS = ("first-run", "first-run-azure", "demo", "check", "editor-errors", "editor")


def _tour(width: int, height: int, tmp_path: Path) -> tuple[dict, Path]:  # type: ignore[type-arg]
    keep = os.environ.get("RELAYDESK_SCREENSHOT_DIR")
    out = Path(keep) / f"{width}x{height}" if keep else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    with virtual_display(width, height) as display:
        env = dict(os.environ, **XCB_ENV, DISPLAY=display)
        env["RELAYDESK_CONFIG_DIR"] = str(tmp_path / "config")
        env.pop("WAYLAND_DISPLAY", None)
        result = subprocess.run(
            [sys.executable, "-m", "tests.gui.screens_on_x11", str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
    return json.loads((out / "report.json").read_text(encoding="utf-8")), out


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1280, 720), (1024, 768)])
def test_the_tour_fits_the_screen(width: int, height: int, tmp_path: Path) -> None:
    report, out = _tour(width, height, tmp_path)
    sx, sy, sw, sh = report["screen"]
    x, y, w, h = report["window"]
    assert sx <= x and sy <= y and x + w <= sx + sw and y + h <= sy + sh, report
    assert h <= sh - 40  # room for the title bar the window manager adds
    assert report["minimum"][0] <= 1024 - 16 and report["minimum"][1] <= 720 - 48
    assert report["header_right"] <= w  # the Check button is not cut off
    ex, ey, ew, eh = report["editor_geometry"]
    assert ex >= sx and ey >= sy and ex + ew <= sx + sw and ey + eh <= sy + sh
    assert report["editor_errors"] > 0
    assert report["editor_short_inputs"] == [] and report["first_run_short_inputs"] == []
    assert report["check_passed"]
    assert report["check_before"] == report["check_after"]  # no growth, panes unchanged
    assert report["timeline_height"] >= 5 * report["timeline_row_height"]
    for name in SHOTS:
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 20_000, name
