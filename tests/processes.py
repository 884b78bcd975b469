"""Stopping the helper processes tests start (D-Bus, gnome-keyring, Xvfb)."""

from __future__ import annotations

import subprocess

__all__ = ["stop_process"]


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 5.0) -> None:
    """Terminate ``process`` by its own handle (never by name); kill it if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)
