"""Keep Qt from auto-launching a D-Bus session bus that would outlive the app.

On Linux and the BSDs, libdbus (which Qt loads for accessibility, the platform
theme and portals) falls back to *autolaunch* when no session bus is known: with
an X display it runs ``dbus-launch --autolaunch``, which forks a ``dbus-daemon``
that stays running after RelayDesk exits. A desktop session always has a bus
(``DBUS_SESSION_BUS_ADDRESS``, or ``$XDG_RUNTIME_DIR/bus`` from systemd), so
autolaunch only happens on bare X servers (Xvfb, ``ssh -X``, a minimal window
manager), where a fresh daemon serves nothing RelayDesk needs: the keyring is
probed over the bus that exists, and without one RelayDesk keeps secrets in
memory and says so.

The remedy is the documented one: an explicit address stops libdbus from
autolaunching. ``disabled:`` is GLib's name for "no bus"; libdbus treats it as
an unknown transport and fails the connection quietly, and jeepney (under the
keyring's Secret Service backend) rejects it, so the keyring reports no backend.
"""

from __future__ import annotations

import sys
from collections.abc import MutableMapping
from pathlib import Path

__all__ = ["NO_BUS_ADDRESS", "prevent_bus_autolaunch"]

#: The address that means "there is no session bus" (GLib's spelling).
NO_BUS_ADDRESS = "disabled:"


def prevent_bus_autolaunch(
    environ: MutableMapping[str, str], *, platform: str = sys.platform
) -> bool:
    """Set ``DBUS_SESSION_BUS_ADDRESS`` to "no bus" when no session bus is known.

    Call it before Qt loads (before ``QApplication``). Leaves a known bus alone:
    an address in the environment, or systemd's socket at ``$XDG_RUNTIME_DIR/bus``
    (which libdbus finds by itself). Does nothing on macOS and Windows, where
    libdbus is not used for the session.

    Returns:
        True when it set the address, False when it left the environment as is.
    """
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return False
    if environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    runtime_dir = environ.get("XDG_RUNTIME_DIR")
    if runtime_dir and Path(runtime_dir, "bus").exists():
        return False
    environ["DBUS_SESSION_BUS_ADDRESS"] = NO_BUS_ADDRESS
    return True
