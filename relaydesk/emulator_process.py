"""The emulator as a child process, driven through its ready line and admin endpoint.

Demo mode used to import :mod:`relaydesk.emulator` into the app, and with it
aiohttp and cryptography (~44 MiB of the window's idle memory). Here the
emulator runs as ``relaydesk emulator --stop-on-stdin-eof`` in a child
process: its one JSON ready line says where it listens and what the demo
identities are, and its faults are applied through the authenticated
``/$admin`` endpoint (:mod:`relaydesk.emulator.admin`). This module stays
outside the :mod:`relaydesk.emulator` package on purpose: importing that
package loads the server.

The child dies with the parent: :meth:`EmulatorProcess.stop` closes its stdin
and waits (SIGTERM, then kill, if it lingers), and when the parent dies
without stopping it (killed, crashed) the operating system closes the pipe,
the child reads end-of-file on stdin and shuts down. That works on every
platform, unlike Linux's ``PR_SET_PDEATHSIG``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import ssl
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from relaydesk.errors import EmulatorError

__all__ = ["EmulatorProcess", "Identity", "User", "emulator_command"]

#: Seconds the child has to print its ready line (it may create certificates first).
READY_TIMEOUT = 60.0
#: Seconds the child has to exit after its stdin is closed, then after SIGTERM.
STOP_TIMEOUT = 5.0
#: Seconds an admin request may take.
ADMIN_TIMEOUT = 10.0
#: The admin endpoint's key header (the same name as :data:`relaydesk.emulator.admin.ADMIN_HEADER`).
ADMIN_HEADER = "RelayDesk-Admin-Key"


@dataclass(frozen=True)
class Identity:
    """An Entra app registration of the emulator's world (from the ready line)."""

    name: str
    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return f"Identity(name={self.name!r}, client_id={self.client_id!r})"


@dataclass(frozen=True)
class User:
    """A user of the emulator's world (from the ready line)."""

    name: str
    upn: str
    password: str

    def __repr__(self) -> str:
        return f"User(name={self.name!r}, upn={self.upn!r})"


def emulator_command(arguments: list[str]) -> list[str]:
    """The command line that runs ``relaydesk emulator ARGUMENTS``.

    In the PyInstaller bundle ``sys.executable`` is RelayDesk itself, which
    takes the ``emulator`` subcommand (on Windows its console twin
    ``relaydesk-cli.exe`` does: a GUI-subsystem .exe has no stdout; see
    build.spec); otherwise it is Python, so ``-m relaydesk``.
    """
    if getattr(sys, "frozen", False):
        executable = Path(sys.executable)
        console_twin = executable.with_name("relaydesk-cli.exe")
        if sys.platform == "win32" and console_twin.is_file():
            executable = console_twin
        return [str(executable), "emulator", *arguments]
    return [sys.executable, "-m", "relaydesk", "emulator", *arguments]


class EmulatorProcess:
    """One ``relaydesk emulator`` child process: start, apply faults, stop."""

    def __init__(self, arguments: list[str]) -> None:
        self._arguments = arguments
        self._child: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._ready: dict[str, Any] = {}

    # --- what the ready line says ----------------------------------------------------

    @property
    def namespace(self) -> str:
        """``127.0.0.1:PORT``: where the relay and the authority listen."""
        return str(self._ready["namespace"])

    @property
    def tenant_id(self) -> str:
        """The Entra tenant of the emulator's world."""
        return str(self._ready["tenant_id"])

    @property
    def ca_file(self) -> Path:
        """The CA certificate that signed the emulator's TLS certificate."""
        return Path(self._ready["ca_file"])

    @property
    def identities(self) -> dict[str, Identity]:
        """The app registrations by name (``listener``, ``sender``, …)."""
        return {
            i["name"]: Identity(i["name"], i["client_id"], i["client_secret"])
            for i in self._ready.get("identities", [])
        }

    @property
    def users(self) -> dict[str, User]:
        """The users by name."""
        return {
            u["name"]: User(u["name"], u["upn"], u["password"])
            for u in self._ready.get("users", [])
        }

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._child.pid if self._child is not None else None

    # --- lifetime --------------------------------------------------------------------

    async def start(self) -> None:
        """Start the child and wait for its ready line.

        Raises:
            EmulatorError: it could not be started, exited or printed no ready
                line in time; the message quotes its last error line.
        """
        self._child, self._stderr = _spawn(
            # Warnings only: its stderr goes to a file that is read just when the
            # start fails, and the INFO lines (one per request) would grow it
            # for the whole session.
            emulator_command([*self._arguments, "--stop-on-stdin-eof", "--log-level", "warning"])
        )
        try:
            line = await asyncio.wait_for(self._read_ready_line(), READY_TIMEOUT)
        except BaseException as exc:
            await self.stop()
            if isinstance(exc, TimeoutError):
                raise EmulatorError(
                    f"the emulator printed no ready line within {READY_TIMEOUT:.0f} s"
                ) from None
            raise
        self._ready = line

    async def _read_ready_line(self) -> dict[str, Any]:
        child = self._child
        assert child is not None and child.stdout is not None
        raw = await asyncio.to_thread(child.stdout.readline)
        if not raw:
            code = await asyncio.to_thread(child.wait, STOP_TIMEOUT)
            raise EmulatorError(f"the emulator exited with code {code}: {self._last_error()}")
        try:
            ready = json.loads(raw)
        except ValueError:
            raise EmulatorError("the emulator's ready line is not JSON") from None
        if not isinstance(ready, dict) or "admin_key" not in ready:
            raise EmulatorError("the emulator's ready line lacks its admin key")
        return ready

    def _last_error(self) -> str:
        """The child's last stderr line (its error message), or a placeholder."""
        if self._stderr is None:
            return "no error output"
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1][:300] if lines else "no error output"

    async def stop(self) -> None:
        """End the child: close its stdin, then SIGTERM, then kill; never leaves it running."""
        child, self._child = self._child, None
        try:
            if child is not None:
                await asyncio.to_thread(_end, child)
        finally:
            # Also when the caller's grace ran out (the window's shutdown): the thread
            # still ends the child; our copy of its stderr file must not leak.
            self._close_stderr()

    def _close_stderr(self) -> None:
        stderr, self._stderr = self._stderr, None
        if stderr is not None:
            stderr.close()

    @property
    def running(self) -> bool:
        """True from a successful start until stop (or the child's own exit)."""
        return self._child is not None and self._child.poll() is None and bool(self._ready)

    # --- faults ------------------------------------------------------------------------

    async def fault(self, name: str, arguments: dict[str, Any]) -> object:
        """Apply one fault through ``POST /$admin/faults/NAME``; return its result.

        Raises:
            EmulatorError: the emulator is not running, or refused or failed the request.
        """
        if not self.running:
            raise EmulatorError("the demo emulator is not running")
        url = urlsplit(str(self._ready["admin_url"]))
        path = f"{url.path.rstrip('/')}/faults/{name}"
        body = json.dumps(arguments).encode()
        try:
            status, answer = await asyncio.wait_for(
                self._post(url.hostname or "127.0.0.1", url.port or 443, path, body),
                ADMIN_TIMEOUT,
            )
        except (OSError, TimeoutError, ValueError) as exc:
            raise EmulatorError(f"the emulator's admin endpoint did not answer: {exc}") from None
        if status != 200 or not isinstance(answer, dict) or not answer.get("ok"):
            error = answer.get("error", {}) if isinstance(answer, dict) else {}
            raise EmulatorError(f"the emulator refused {name}: {error.get('message', status)}")
        return answer.get("result")

    async def _post(self, host: str, port: int, path: str, body: bytes) -> tuple[int, Any]:
        """One HTTPS POST over a fresh connection (the demo sends a handful)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        reader, writer = await asyncio.open_connection(
            host, port, ssl=context, server_hostname=host
        )
        try:
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"{ADMIN_HEADER}: {self._ready['admin_key']}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
            response = await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()
        header, _, payload = response.partition(b"\r\n\r\n")
        status = int(header.split(b" ", 2)[1])
        return status, json.loads(payload) if payload.strip() else None


def _spawn(command: list[str]) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """Start the child: stdin and stdout piped, stderr to a file read only if it fails.

    Raises:
        EmulatorError: the executable could not be run.
    """
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the child; stop() closes it
    try:
        child = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=_child_environment(),
            # The console twin would open a console window on Windows.
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except OSError as exc:
        stderr.close()
        raise EmulatorError(f"could not run the emulator ({command[0]}): {exc}") from None
    return child, stderr


def _child_environment() -> dict[str, str]:
    """The app's environment; the child logs to a file nobody reads unless it fails."""
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _end(child: subprocess.Popen[bytes]) -> None:
    """Blocking: close stdin (the child stops on EOF), then SIGTERM, then SIGKILL.

    stdout is closed only once the child is gone: a ready-line read may still
    be blocked on it, and its end-of-file is what releases that read.
    """
    if child.stdin is not None:
        with contextlib.suppress(OSError):
            child.stdin.close()
    try:
        child.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.terminate()
        try:
            child.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    if child.stdout is not None:
        with contextlib.suppress(OSError):
            child.stdout.close()
