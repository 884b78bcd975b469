"""``relaydesk diagnose``: one JSON object per step and a summary; exit codes; --report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from relaydesk.cli import main
from tests.cli.conftest import BackgroundListener, World, assert_no_secret, json_records
from tests.tinyproxy import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("secret_env")]

STEPS = [
    "dns", "proxy", "tcp", "tls", "relay", "authority", "token", "listeners", "authorized",
    "gateway",
]  # fmt: skip


def test_json_steps_summary_exit_0_and_a_redacted_report(
    world: World,
    background_listener: Callable[..., BackgroundListener],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.txt"
    with background_listener("demo"):
        argv = ["diagnose", world.address(), "--json", "--send", "--report", str(report)]
        code = main([*argv, *world.entra_args()])
    captured = capsys.readouterr()
    assert code == 0, captured
    records = json_records(captured.out)
    assert [r["step"] for r in records[:-1]] == STEPS
    assert {r["status"] for r in records[:-1]} == {"ok"}
    assert all("duration_ms" in r for r in records[:-1])
    summary = records[-1]
    assert summary["event"] == "summary" and summary["passed"] is True
    text = report.read_text(encoding="utf-8")
    assert "result: passed" in text and "python:" in text and "os:" in text
    assert "eyJ" not in text + captured.out
    assert_no_secret(world, text, captured.out, captured.err)


def test_a_failed_step_means_a_non_zero_exit_and_a_human_remedy(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    address = f"sb://127.0.0.1:{free_port()}/demo"
    code = main(["diagnose", address, *world.entra_args(sender=None)])
    out = capsys.readouterr().out
    assert code != 0
    assert "✘ TCP connect: failed" in out and "remedy:" in out
    assert "– TLS: skipped" in out
    assert out.strip().splitlines()[-1] == "diagnosis failed at: tcp"
