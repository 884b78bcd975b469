"""``relaydesk emulator`` as a subprocess: one JSON line, serves, exits 0 on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def _start(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "relaydesk", "emulator", "--data-dir", str(tmp_path / "d"), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _ready(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()  # the process prints it once listening
    assert line, process.stderr.read() if process.stderr else ""
    info: dict[str, Any] = json.loads(line)
    return info


def _get(info: dict[str, Any], path: str) -> int:
    context = ssl.create_default_context(cafile=info["ca_file"])
    request = urllib.request.Request(f"https://{info['namespace']}{path}")
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_prints_one_ready_line_serves_and_exits_cleanly(tmp_path: Path, sig: int) -> None:
    process = _start(tmp_path, "--token-lifetime", "120")
    try:
        info = _ready(process)
        assert info["namespace"].startswith("127.0.0.1:")
        assert info["token_lifetime"] == 120
        assert _get(info, "/demo") == 401  # served: an HTTP sender without token
        assert _get(info, f"/{info['tenant_id']}/v2.0/.well-known/openid-configuration") == 200
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert stdout == ""  # nothing after the ready line
    assert "emulator stopped" in stderr
    for rule in info["sas_rules"]:
        assert rule["key"] not in stderr


def test_sigterm_closes_websockets_with_1001(tmp_path: Path) -> None:
    import asyncio

    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from relaydesk.protocol.sas import build_sas_token

    process = _start(tmp_path)
    try:
        info = _ready(process)
        rule = next(r for r in info["sas_rules"] if r["name"] == "RootManageSharedAccessKey")
        token = build_sas_token(
            f"http://{info['namespace']}/demo",
            rule["name"],
            rule["key"],
            expires_at=int(time.time()) + 600,
        )

        async def scenario() -> int | None:
            context = ssl.create_default_context(cafile=info["ca_file"])
            url = f"wss://{info['namespace']}/$hc/demo?sb-hc-action=listen&sb-hc-id=cli"
            async with (
                asyncio.timeout(20),
                connect(
                    url, ssl=context, additional_headers={"ServiceBusAuthorization": token}
                ) as control,
            ):
                process.send_signal(signal.SIGTERM)
                try:
                    await control.recv()
                except ConnectionClosed as exc:
                    return exc.rcvd.code if exc.rcvd else None
            return None

        assert asyncio.run(scenario()) == 1001
        process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--port", "99999"],
        ["--token-lifetime", "0"],
        ["--token-lifetime", "0.5"],
        ["--token-expiry-grace", "x"],
        ["--token-expiry-grace", "nan"],
        ["--token-lifetime", "inf"],
        ["--port", "abc"],
        ["--host", "192.0.2.1"],
        ["--bogus"],
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str]) -> None:
    process = _start(tmp_path, *args)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stdout == ""
    assert "error:" in stderr


def test_log_level_warning_keeps_request_lines_out_of_stderr(tmp_path: Path) -> None:
    """The desktop app's demo child runs with --log-level warning: its log must stay small."""
    process = _start(tmp_path, "--log-level", "warning")
    try:
        info = _ready(process)
        for _ in range(3):
            assert _get(info, "/demo") == 401  # each one an INFO line at the default level
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert " INFO " not in stderr
