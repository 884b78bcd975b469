"""Run the Node.js interop scripts (Microsoft's official SDKs) as child processes.

Each script takes one JSON argument and prints JSON lines with an ``event`` key.
Everything here is bounded in time: a script that does not answer fails the
test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

SCRIPTS = Path(__file__).parent / "node"


def interop_dir() -> Path:
    """Return where install-official-sdks.sh put hyco-ws and hyco-https.

    Outside CI a machine without Node or the SDKs skips the interop tests; in CI
    (``CI=true``) their absence is a failure, since .ci/run installs them.
    """
    default = Path.home() / ".cache" / "relaydesk-interop"
    path = Path(os.environ.get("RELAYDESK_INTEROP_DIR", default))
    missing = [
        name for name in ("hyco-ws", "hyco-https") if not (path / name / "package.json").exists()
    ]
    if shutil.which("node") is None or missing:
        message = (
            f"Node.js SDKs not installed in {path} (missing: {', '.join(missing) or 'node'}); "
            "run tests/interop/sdk/install.sh"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


class NodeScript:
    """One running interop script."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self.events: list[dict[str, Any]] = []

    @classmethod
    async def start(cls, name: str, config: dict[str, Any], *, ca_file: Path) -> NodeScript:
        env = dict(os.environ)
        env["RELAYDESK_INTEROP_DIR"] = str(interop_dir())
        env["NODE_EXTRA_CA_CERTS"] = str(ca_file)
        env["NO_PROXY"] = "127.0.0.1,localhost,::1"
        process = await asyncio.create_subprocess_exec(
            "node",
            str(SCRIPTS / f"{name}.js"),
            json.dumps(config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        return cls(process, name)

    async def next_event(self, seconds: float = 20.0) -> dict[str, Any]:
        """Read the next JSON event line, failing clearly on EOF or timeout."""
        assert self.process.stdout is not None
        async with asyncio.timeout(seconds):
            line = await self.process.stdout.readline()
        if not line:
            stderr = await self._stderr()
            raise AssertionError(f"{self.name}.js ended early; stderr:\n{stderr}")
        event: dict[str, Any] = json.loads(line)
        self.events.append(event)
        return event

    async def wait_for(self, event: str, seconds: float = 20.0) -> dict[str, Any]:
        """Read events until one named ``event`` arrives (bounded)."""
        async with asyncio.timeout(seconds):
            while True:
                got = await self.next_event(seconds)
                if got["event"] == event:
                    return got

    async def wait(self, seconds: float = 30.0) -> int:
        """Wait for the script to exit by itself; return its exit code."""
        async with asyncio.timeout(seconds):
            await self._read_rest()
            return await self.process.wait()

    async def _read_rest(self) -> None:
        """Collect every event line still to come (until the script's EOF)."""
        assert self.process.stdout is not None
        rest = await self.process.stdout.read()
        for line in rest.decode().splitlines():
            if line.strip():
                self.events.append(json.loads(line))

    async def stop(self) -> None:
        """Close stdin (the scripts' signal to shut down), then make sure it ends."""
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                async with asyncio.timeout(5):
                    await self._read_rest()
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    async def _stderr(self) -> str:
        assert self.process.stderr is not None
        try:
            async with asyncio.timeout(2):
                return (await self.process.stderr.read()).decode(errors="replace")
        except TimeoutError:
            return "<no stderr>"
