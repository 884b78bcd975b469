"""Processes the benchmarks measure against: the emulator, Microsoft's Node SDK
peers and a RelayDesk listener, each in its own process.

Each peer speaks JSON lines on stdout (one object per line with an ``event``
key) and ends when its stdin closes. Its CPU time and resident memory are
read from ``/proc`` (Linux), so a benchmark can report CPU per message of
exactly one side. The Node peers use the SDKs installed for the interop
tests (``tests/interop/sdk/install.sh``; ``RELAYDESK_INTEROP_DIR``).
Everything is bounded in time and stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relaydesk.protocol.sas import build_sas_token

__all__ = [
    "BENCHMARKS",
    "RULE",
    "Peer",
    "RemoteEmulator",
    "Usage",
    "emulator_process",
    "interop_dir",
    "usage",
]

BENCHMARKS = Path(__file__).parent
RULE = "RootManageSharedAccessKey"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Usage:
    """CPU seconds (user + system) a process has used so far, and its RSS in bytes."""

    cpu: float
    rss: int


def usage(pid: int) -> Usage:
    """Read a process's CPU time and resident set size from ``/proc``.

    CPU time is the sum of its threads' ``schedstat`` run times (nanoseconds;
    ``stat``'s clock ticks are 10 ms, too coarse for a few thousand
    messages), falling back to ``stat`` where ``schedstat`` is missing.
    """
    with open(f"/proc/{pid}/statm") as statm:
        rss = int(statm.read().split()[1]) * _PAGE
    try:
        cpu_ns = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            with (
                contextlib.suppress(FileNotFoundError),
                open(f"/proc/{pid}/task/{task}/schedstat") as schedstat,
            ):
                cpu_ns += int(schedstat.read().split()[0])
        return Usage(cpu_ns / 1e9, rss)
    except FileNotFoundError:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        # fields[0] is the state (field 3 of stat): utime/stime are fields 14/15
        return Usage((int(fields[11]) + int(fields[12])) / _CLOCK_TICKS, rss)


def interop_dir() -> Path:
    """Where the interop SDKs (hyco-ws, hyco-https) are installed."""
    default = Path.home() / ".cache" / "relaydesk-interop"
    path = Path(os.environ.get("RELAYDESK_INTEROP_DIR", default))
    for name in ("hyco-ws", "hyco-https"):
        if not (path / name / "package.json").exists():
            raise SystemExit(
                f"{name} is not installed in {path}: run tests/interop/sdk/install.sh "
                "(or set RELAYDESK_INTEROP_DIR)"
            )
    return path


@dataclass(frozen=True)
class RemoteEmulator:
    """What a benchmark needs of ``relaydesk emulator`` running as a process."""

    namespace: str
    ca_file: Path
    key: str  # of :data:`RULE`
    pid: int

    def token(self, entity: str = "demo") -> str:
        """A SAS token for ``entity`` signed with :data:`RULE`, valid for an hour (§9.3)."""
        return build_sas_token(
            f"http://{self.namespace}/{entity}",
            RULE,
            self.key,
            expires_at=int(time.time()) + 3600,
        )

    def node_config(self, entity: str = "demo") -> dict[str, Any]:
        """The URIs and key a Node peer signs its own tokens with.

        The SDKs build URLs for port 443 only, so they get full URLs (§9.3:
        the signed resource drops the port).
        """
        return {
            "listenUri": f"wss://{self.namespace}/$hc/{entity}?sb-hc-action=listen",
            "sendUri": f"wss://{self.namespace}/$hc/{entity}?sb-hc-action=connect",
            "tokenUri": f"https://{self.namespace}/{entity}",
            "keyName": RULE,
            "key": self.key,
        }


@contextlib.asynccontextmanager
async def emulator_process(data_dir: Path, *args: str) -> AsyncIterator[RemoteEmulator]:
    """Run ``relaydesk emulator`` in its own process; read its ready line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "relaydesk",
        "emulator",
        "--data-dir",
        str(data_dir),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            ready = json.loads(await process.stdout.readline())
        key = next(r["key"] for r in ready["sas_rules"] if r["name"] == RULE)
        yield RemoteEmulator(ready["namespace"], Path(ready["ca_file"]), key, process.pid)
    finally:
        process.terminate()
        async with asyncio.timeout(10):
            await process.wait()


class Peer:
    """One peer process: JSON-line events on stdout, stops when stdin closes."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    async def node(cls, script: str, config: dict[str, Any], *, ca_file: Path) -> Peer:
        """Start ``benchmarks/node/{script}.js`` with ``config`` as its JSON argument."""
        env = dict(os.environ)
        env["RELAYDESK_INTEROP_DIR"] = str(interop_dir())
        env["NODE_EXTRA_CA_CERTS"] = str(ca_file)
        env["NO_PROXY"] = "127.0.0.1,localhost,::1"
        path = BENCHMARKS / "node" / f"{script}.js"
        return await cls._start(script, env, "node", str(path), json.dumps(config))

    @classmethod
    async def python(cls, script: str, *args: str) -> Peer:
        """Start ``benchmarks/{script}.py`` with this interpreter."""
        path = BENCHMARKS / f"{script}.py"
        return await cls._start(script, dict(os.environ), sys.executable, str(path), *args)

    @classmethod
    async def _start(cls, name: str, env: dict[str, str], *command: str) -> Peer:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        return cls(process, name)

    async def next_event(self, seconds: float = 60.0) -> dict[str, Any]:
        """The next JSON event line; fails with the peer's stderr when it ended."""
        assert self.process.stdout is not None
        async with asyncio.timeout(seconds):
            line = await self.process.stdout.readline()
        if not line:
            assert self.process.stderr is not None
            async with asyncio.timeout(5):
                stderr = (await self.process.stderr.read()).decode(errors="replace")
            raise RuntimeError(f"{self.name} ended early:\n{stderr}")
        event: dict[str, Any] = json.loads(line)
        if event.get("event") in ("error", "timeout"):
            raise RuntimeError(f"{self.name}: {event}")
        return event

    async def wait_for(self, name: str, seconds: float = 60.0) -> dict[str, Any]:
        """Read events until one called ``name`` (bounded)."""
        async with asyncio.timeout(seconds):
            while True:
                event = await self.next_event(seconds)
                if event["event"] == name:
                    return event

    def usage(self) -> Usage:
        return usage(self.pid)

    async def stop(self) -> None:
        """Close stdin (the peer's signal to end); kill it if it does not."""
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                async with asyncio.timeout(10):
                    await self.process.communicate()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
