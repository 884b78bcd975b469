"""A real Secret Service (gnome-keyring) in a private D-Bus session, for tests.

Platform notes, "keyring on Linux": start ``dbus-daemon --session --nofork
--nopidfile --print-address=1`` and read the bus address from its first
stdout line; start ``gnome-keyring-daemon --foreground --unlock
--components=secrets`` with the password on stdin (then close stdin); point
``DBUS_SESSION_BUS_ADDRESS``, ``HOME`` and the XDG directories at temporary
places; wait (bounded) until the default collection is unlocked; at the end
terminate both processes by their own handles (never ``--daemonize``, whose
PID would be the wrong one; never kill by name).

When ``gnome-keyring-daemon`` or ``dbus-daemon`` is missing, the fixture
fails with a clear message on CI (``CI=true``) and skips locally.
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
from pathlib import Path
from typing import Any

import pytest

from tests.processes import stop_process

__all__ = ["SecretServiceSession", "require_programs", "run_secret_service", "secret_service"]

_START_TIMEOUT = 20.0
_PASSWORD = b"relaydesk-test-keyring"
_LOGIN_PATH = "/org/freedesktop/secrets/collection/login"
_BUS_NAME = "org.freedesktop.secrets"


@dataclass(frozen=True)
class SecretServiceSession:
    """A running private Secret Service.

    Attributes:
        bus_address: the private session bus address.
        home: the temporary ``HOME`` (keyrings live under it).
    """

    bus_address: str
    home: Path


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_programs() -> None:
    missing = [name for name in ("dbus-daemon", "gnome-keyring-daemon") if not shutil.which(name)]
    if not missing:
        return
    message = (
        f"{', '.join(missing)} not found: the keyring test needs a real Secret Service "
        "(Debian/Ubuntu: apt-get install gnome-keyring dbus dbus-x11)"
    )
    if _on_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _private_env(base: Path) -> dict[str, str]:
    home = base / "home"
    runtime = base / "run"
    for path in (home, runtime, home / ".local/share", home / ".config", home / ".cache"):
        path.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    return {
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }


def _read_first_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    """The first stdout line of ``process`` within ``timeout`` seconds."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"dbus-daemon printed no address within {timeout:.0f} s")
    line = process.stdout.readline().decode().strip()
    if not line:
        raise AssertionError(f"dbus-daemon exited without an address (rc={process.poll()})")
    return line


def _owner_pid(connection: Any) -> int | None:
    """PID owning ``org.freedesktop.secrets`` on the bus, without activating it.

    The bus may know a D-Bus *activation* file for the Secret Service; any
    call to the service before our daemon owns the name would start a second
    gnome-keyring-daemon (locked, with no password). ``NameHasOwner`` never
    activates, so we only talk to the service once our own daemon owns it.
    """
    from jeepney import DBusAddress, new_method_call

    bus = DBusAddress("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus")
    has = connection.send_and_get_reply(new_method_call(bus, "NameHasOwner", "s", (_BUS_NAME,)))
    if not has.body[0]:
        return None
    pid = connection.send_and_get_reply(
        new_method_call(bus, "GetConnectionUnixProcessID", "s", (_BUS_NAME,))
    )
    return int(pid.body[0])


def _collection_ready(daemon_pid: int) -> bool:
    """True once our daemon serves an unlocked login collection as the default.

    ``--unlock`` creates and unlocks a "login" keyring, but a fresh HOME has
    no ``default`` alias, and asking for the default collection would then
    try to create one through a GUI prompt. A desktop session points
    ``default`` at ``login``; we do the same with the Secret Service's
    ``SetAlias`` call.
    """
    import secretstorage
    from secretstorage.defines import SS_PATH
    from secretstorage.util import SERVICE_IFACE, DBusAddressWrapper

    try:
        connection = secretstorage.dbus_init()
    except secretstorage.exceptions.SecretServiceNotAvailableException:
        return False
    try:
        owner = _owner_pid(connection)
        if owner is None:
            return False
        if owner != daemon_pid:
            raise AssertionError(f"another process (pid {owner}) owns {_BUS_NAME}")
        login = secretstorage.Collection(connection, _LOGIN_PATH)
        if login.is_locked():
            return False
        service = DBusAddressWrapper(SS_PATH, SERVICE_IFACE, connection)
        service.call("SetAlias", "so", "default", _LOGIN_PATH)
        return not secretstorage.get_default_collection(connection).is_locked()
    except secretstorage.exceptions.SecretStorageException:
        return False
    finally:
        connection.close()


def _wait_until_ready(keyring_daemon: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if keyring_daemon.poll() is not None:
            err = (
                keyring_daemon.stderr.read().decode(errors="replace")
                if keyring_daemon.stderr
                else ""
            )
            raise AssertionError(f"gnome-keyring-daemon exited early: {err.strip()[:500]}")
        if _collection_ready(keyring_daemon.pid):
            return
        time.sleep(0.1)
    raise AssertionError(f"the Secret Service did not become ready within {_START_TIMEOUT:.0f} s")


def _close_pipes(process: subprocess.Popen[bytes] | None) -> None:
    if process is None:
        return
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


@contextlib.contextmanager
def run_secret_service(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretServiceSession]:
    """Start dbus + gnome-keyring under ``base``; set the env; stop both at the end."""
    require_programs()
    env = {**os.environ, **_private_env(base)}
    for name in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)  # never touch the developer's real session
    bus: subprocess.Popen[bytes] | None = None
    daemon: subprocess.Popen[bytes] | None = None
    try:
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        env["DBUS_SESSION_BUS_ADDRESS"] = _read_first_line(bus, _START_TIMEOUT)
        for name in (
            "DBUS_SESSION_BUS_ADDRESS",
            "HOME",
            "XDG_RUNTIME_DIR",
            "XDG_DATA_HOME",
            "XDG_CONFIG_HOME",
            "XDG_CACHE_HOME",
        ):
            monkeypatch.setenv(name, env[name])
        daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert daemon.stdin is not None
        daemon.stdin.write(_PASSWORD)
        daemon.stdin.close()
        _wait_until_ready(daemon)
        yield SecretServiceSession(
            bus_address=env["DBUS_SESSION_BUS_ADDRESS"], home=Path(env["HOME"])
        )
    finally:
        stop_process(daemon)
        stop_process(bus)
        _close_pipes(daemon)
        _close_pipes(bus)


@pytest.fixture
def secret_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretServiceSession]:
    """A private, unlocked Secret Service for one test."""
    with run_secret_service(tmp_path, monkeypatch) as session:
        yield session
