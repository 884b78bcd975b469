"""relaydesk.gui.session_bus: no D-Bus daemon of ours outlives the app."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from relaydesk.gui.session_bus import NO_BUS_ADDRESS, prevent_bus_autolaunch
from tests.self_test_run import run_self_test
from tests.x_server import XCB_ENV, x_display

__all__ = ["x_display"]  # the fixture, imported for pytest


def test_without_a_known_bus_the_address_says_none(tmp_path: Path) -> None:
    environ = {"DISPLAY": ":1", "XDG_RUNTIME_DIR": str(tmp_path)}
    assert prevent_bus_autolaunch(environ, platform="linux")
    assert environ["DBUS_SESSION_BUS_ADDRESS"] == NO_BUS_ADDRESS


def test_a_bus_in_the_environment_is_left_alone() -> None:
    environ = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"}
    assert not prevent_bus_autolaunch(environ, platform="linux")
    assert environ["DBUS_SESSION_BUS_ADDRESS"] == "unix:path=/run/user/1000/bus"


def test_systemds_user_bus_is_left_for_libdbus_to_find(tmp_path: Path) -> None:
    (tmp_path / "bus").touch()
    environ = {"XDG_RUNTIME_DIR": str(tmp_path)}
    assert not prevent_bus_autolaunch(environ, platform="linux")
    assert "DBUS_SESSION_BUS_ADDRESS" not in environ


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_other_systems_are_left_alone(platform: str) -> None:
    environ: dict[str, str] = {}
    assert not prevent_bus_autolaunch(environ, platform=platform)
    assert environ == {}


@pytest.mark.gui
@pytest.mark.e2e
def test_a_first_run_on_a_bare_x_server_leaves_no_dbus_daemon(
    x_display: str, tmp_path: Path
) -> None:
    """The app on Xvfb with no session bus: dbus-launch --autolaunch must not run.

    An autolaunched bus records itself under ``$HOME/.dbus/session-bus``; with a
    private HOME, that folder appearing is the proof that a daemon was forked
    (and it would outlive the app).
    """
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, **XCB_ENV, DISPLAY=x_display, HOME=str(home))
    env["RELAYDESK_CONFIG_DIR"] = str(tmp_path / "config")
    for name in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    run_self_test([sys.executable, "-m", "relaydesk"], env, tmp_path / "shot.png", timeout=120)
    assert not (home / ".dbus").exists(), "a D-Bus session daemon was auto-launched"
