"""Is there a display to open a window on? Asked before Qt is (Qt-free, standard library).

Without one, Qt's xcb platform plugin aborts the process (exit 134) after a
hint that blames a missing ``libxcb-cursor0``, which sends users hunting for
libraries. On Linux the app therefore checks first: no ``DISPLAY`` and no
``WAYLAND_DISPLAY`` (and no ``QT_QPA_PLATFORM`` choosing another platform),
or an X server that does not answer on its socket, and it prints one line
that names the cause and the way out instead.
"""

from __future__ import annotations

import re
import socket
import sys
from collections.abc import Mapping

__all__ = ["display_problem", "x_server_answers"]

#: Seconds to wait for an X server's socket to accept.
_CONNECT_TIMEOUT = 1.0
_DISPLAY = re.compile(r"^(?P<host>[^:/]*):(?P<number>\d+)(?:\.\d+)?$")
_HEADLESS_HINT = "set QT_QPA_PLATFORM=offscreen to run it without a screen (e.g. --self-test)"


def display_problem(environ: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """Return one line saying why no window can open, or ``None`` when Qt may try.

    Args:
        environ: the environment (``os.environ``).
        platform: ``sys.platform``.
    """
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if chosen and chosen != "xcb":
        return None  # offscreen, wayland, …: the user chose; Qt reports its own problems
    if not chosen and (not platform.startswith("linux") or environ.get("WAYLAND_DISPLAY")):
        return None
    display = environ.get("DISPLAY", "")
    if not display:
        return (
            "RelayDesk needs a display: no X server or Wayland session was found "
            f"(DISPLAY is not set); run it on a desktop, or {_HEADLESS_HINT}."
        )
    if x_server_answers(display) is False:
        return (
            f"RelayDesk cannot reach the X server at DISPLAY={display} (is it running?); "
            f"start it or fix DISPLAY, or {_HEADLESS_HINT}."
        )
    return None


def x_server_answers(display: str) -> bool | None:
    """Try the X server's socket: True/False, or ``None`` for a form we do not know."""
    match = _DISPLAY.match(display)
    if match is None:
        return None  # e.g. XQuartz's launchd path: let Qt try
    host, number = match.group("host"), int(match.group("number"))
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        return _unix_answers("\0" + path) or _unix_answers(path)
    try:
        with socket.create_connection((host, 6000 + number), timeout=_CONNECT_TIMEOUT):
            return True
    except OSError:
        return False


def _unix_answers(address: str) -> bool:
    """Connect to a Unix socket (a leading NUL: Linux's abstract namespace)."""
    if not hasattr(socket, "AF_UNIX"):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(_CONNECT_TIMEOUT)
        try:
            sock.connect(address)
        except OSError:
            return False
    return True
