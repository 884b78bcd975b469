"""The emulator as a child process: ready line, faults over the admin endpoint, no orphans."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from relaydesk.emulator_process import EmulatorProcess, emulator_command
from relaydesk.errors import EmulatorError

pytestmark = pytest.mark.e2e

#: Run by a parent process the test then kills with SIGKILL: it starts the
#: emulator child, prints the child's pid and waits to be killed.
ORPHAN_PARENT = """
import asyncio, sys
from relaydesk.emulator_process import EmulatorProcess

async def main():
    child = EmulatorProcess(["--port=0", "--data-dir", sys.argv[1]])
    await child.start()
    print(child.pid, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def _gone(pid: int, within: float = 30.0) -> bool:
    """Whether process ``pid`` has ended (reaped by init) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        status = Path(f"/proc/{pid}/stat")
        if status.exists() and status.read_text().split(") ", 1)[-1].startswith("Z"):
            return True  # a zombie awaiting its reaper has ended
        time.sleep(0.05)
    return False


@pytest.mark.asyncio
async def test_starts_applies_faults_through_the_admin_endpoint_and_stops(
    tmp_path: Path,
) -> None:
    emulator = EmulatorProcess(["--port=0", "--data-dir", str(tmp_path), "--token-lifetime=90"])
    await emulator.start()
    try:
        assert emulator.running and emulator.namespace.startswith("127.0.0.1:")
        assert emulator.ca_file.is_file() and emulator.tenant_id
        sender = emulator.identities["sender"]
        assert sender.client_secret and sender.client_secret not in repr(sender)
        assert await emulator.fault("expire-listener-tokens", {"entity": "demo"}) == 0
        revoke = {"identity": "sender", "role": "Azure Relay Sender", "scope": "/demo"}
        await emulator.fault("revoke-role", revoke)
        with pytest.raises(EmulatorError, match="identity is required"):
            await emulator.fault("grant-role", {"role": "Azure Relay Sender", "scope": "/demo"})
        with pytest.raises(EmulatorError, match="unknown fault"):
            await emulator.fault("no-such-fault", {})
        pid = emulator.pid
        assert pid is not None
        # Its stderr goes to a file kept for the session: warnings only, no line per request.
        cmdline = await asyncio.to_thread(Path(f"/proc/{pid}/cmdline").read_bytes)
        command = cmdline.split(b"\0")
        assert command[command.index(b"--log-level") + 1] == b"warning"
    finally:
        await emulator.stop()
    assert not emulator.running and _gone(pid)
    with pytest.raises(EmulatorError, match="not running"):
        await emulator.fault("expire-listener-tokens", {})


@pytest.mark.asyncio
async def test_a_failed_start_quotes_the_childs_error(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("", encoding="utf-8")
    emulator = EmulatorProcess(["--port=0", "--data-dir", str(not_a_directory)])
    with pytest.raises(EmulatorError, match=r"exited with code \d+: .*error") as caught:
        await emulator.start()
    assert "Traceback" not in str(caught.value)
    assert not emulator.running and emulator.pid is None


@pytest.mark.asyncio
async def test_a_stop_cut_short_by_its_caller_still_ends_the_child_and_leaks_nothing(
    tmp_path: Path,
) -> None:
    """The window bounds the emulator's stop with a grace; when that runs out the
    stop is cancelled. The child must still end, and no file of ours stay open
    (an unclosed file is a ResourceWarning, which fails the test)."""
    emulator = EmulatorProcess(["--port=0", "--data-dir", str(tmp_path)])
    await emulator.start()
    pid = emulator.pid
    stopping = asyncio.create_task(emulator.stop())
    async with asyncio.timeout(10):  # hang guard
        while emulator.running:  # noqa: ASYNC110 - no event says the stop began
            await asyncio.sleep(0.001)
    stopping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert await asyncio.to_thread(_gone, pid)
    del emulator
    gc.collect()  # a leaked stderr file would warn here


def test_the_child_stops_when_its_parent_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_PARENT, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        assert not _gone(child_pid, within=0.0)
        parent.send_signal(signal.SIGKILL)  # no chance to stop its child itself
        parent.wait(timeout=30)
        assert _gone(child_pid), "the emulator outlived the app that started it"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=30)
        if parent.stdout is not None:
            parent.stdout.close()


def test_stop_on_stdin_eof_ends_the_emulator_command_cleanly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        emulator_command(["--data-dir", str(tmp_path), "--stop-on-stdin-eof"]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        assert "namespace" in json.loads(process.stdout.readline())
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
