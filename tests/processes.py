"""Stopping the helper processes tests start (D-Bus, gnome-keyring, Xvfb)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Sequence

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


def start_listening(
    argv: Sequence[str], port: int, name: str, timeout: float = 10.0
) -> subprocess.Popen[bytes]:
    """Start a server process and return once it accepts TCP on loopback ``port``.

    Raises:
        RuntimeError: it exited first, or did not listen within ``timeout``.
    """
    process = subprocess.Popen(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.05)
    stop_process(process)
    raise RuntimeError(f"{name} did not start listening within {timeout:.0f} s")
