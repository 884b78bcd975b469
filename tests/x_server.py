"""A real X server (Xvfb) for tests that run RelayDesk on Qt's xcb platform.

Most GUI tests use Qt's offscreen platform; these check that the app also
starts, draws and quits on a real X11 display, the way a double-clicked
desktop app does on Linux. ``Xvfb -displayfd`` picks a free display number
and writes it to a pipe we read (bounded); the server is terminated by its
own handle at the end. ``-nolisten tcp``: only the local socket.

When ``Xvfb`` is missing, the fixture fails with a clear message on CI
(``CI=true``) and skips locally, like the Secret Service fixture.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.processes import stop_process

__all__ = ["XCB_ENV", "XServer", "virtual_display", "x_display", "x_server"]

_START_TIMEOUT = 20.0

#: Environment for a child that should use the X server (merged over os.environ).
XCB_ENV = {"QT_QPA_PLATFORM": "xcb"}


def _require_xvfb() -> str:
    path = shutil.which("Xvfb")
    if path:
        return path
    message = (
        "Xvfb not found: the X11 tests need a virtual X server and Qt's xcb libraries "
        "(Debian/Ubuntu: apt-get install xvfb libxcb-cursor0 libxkbcommon-x11-0 …, see .ci/run)"
    )
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _read_display(reader: int, process: subprocess.Popen[bytes]) -> str:
    """The display number Xvfb writes to ``reader`` once it accepts clients."""
    deadline = time.monotonic() + _START_TIMEOUT
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            raise RuntimeError(f"Xvfb did not start (exit code {process.poll()})")
        ready, _, _ = select.select([reader], [], [], remaining)
        if ready:
            chunk = os.read(reader, 64)
            if not chunk:
                raise RuntimeError(f"Xvfb closed its display pipe (exit code {process.poll()})")
            data += chunk
    return f":{int(data)}"


@dataclass(frozen=True)
class XServer:
    """A running Xvfb: its ``DISPLAY`` and its process (to stop it under a client)."""

    display: str
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def virtual_display(width: int = 1920, height: int = 1080) -> Iterator[str]:
    """Run Xvfb; yield its ``DISPLAY`` (``":N"``)."""
    with x_server(width, height) as server:
        yield server.display


@contextlib.contextmanager
def x_server(width: int = 1920, height: int = 1080) -> Iterator[XServer]:
    """Run Xvfb with one screen of ``width``×``height``; yield it."""
    xvfb = _require_xvfb()
    reader, writer = os.pipe()
    screen = f"{width}x{height}x24"
    process = subprocess.Popen(
        [xvfb, "-displayfd", str(writer), "-screen", "0", screen, "-nolisten", "tcp", "-noreset"],
        pass_fds=(writer,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(writer)
    try:
        yield XServer(_read_display(reader, process), process)
    finally:
        os.close(reader)
        stop_process(process, timeout=10)


@pytest.fixture
def x_display() -> Iterator[str]:
    """A fresh virtual X display for one test."""
    with virtual_display() as display:
        yield display
