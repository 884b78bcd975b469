"""No display: one clear line before Qt is touched, instead of Qt's abort (exit 134)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from relaydesk.gui.app import NO_DISPLAY_EXIT
from relaydesk.gui.display import display_problem, x_server_answers

pytestmark = pytest.mark.gui


def test_no_display_on_linux_is_one_clear_line() -> None:
    problem = display_problem({}, "linux")
    assert problem is not None
    assert "DISPLAY is not set" in problem and "QT_QPA_PLATFORM=offscreen" in problem
    assert "\n" not in problem


@pytest.mark.parametrize(
    "environ",
    [
        {"QT_QPA_PLATFORM": "offscreen"},
        {"QT_QPA_PLATFORM": "wayland"},
        {"WAYLAND_DISPLAY": "wayland-0"},
    ],
)
def test_other_platforms_are_left_to_qt(environ: dict[str, str]) -> None:
    assert display_problem(environ, "linux") is None


def test_windows_and_macos_are_not_checked() -> None:
    assert display_problem({}, "win32") is None
    assert display_problem({}, "darwin") is None


def test_an_x_server_that_does_not_answer_is_named() -> None:
    problem = display_problem({"DISPLAY": ":987"}, "linux")  # nobody serves display 987
    assert problem is not None and "DISPLAY=:987" in problem
    assert x_server_answers(":987") is False
    assert x_server_answers("/private/tmp/launchd-1/org.xquartz:0") is None  # unknown form


def test_the_app_without_a_display_says_so_and_exits(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env["RELAYDESK_CONFIG_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "relaydesk"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == NO_DISPLAY_EXIT, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "QT_QPA_PLATFORM=offscreen" in lines[0]
    assert "xcb-cursor" not in result.stderr
