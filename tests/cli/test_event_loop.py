"""Which event loop the Qt-free commands run on (:mod:`relaydesk.cli.event_loop`)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from relaydesk.cli import event_loop
from relaydesk.errors import InvalidField


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_asyncio_is_asyncio_s_own_loop() -> None:
    assert event_loop.run(_loop_module(), loop="asyncio").startswith("asyncio")


def test_auto_and_uvloop_pick_uvloop_where_installed() -> None:
    pytest.importorskip("uvloop")
    assert event_loop.run(_loop_module(), loop="auto") == "uvloop"
    assert event_loop.run(_loop_module(), loop="uvloop") == "uvloop"


def test_without_uvloop_auto_falls_back_and_asking_for_it_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now fails
    assert event_loop.run(_loop_module(), loop="auto").startswith("asyncio")
    with pytest.raises(InvalidField) as info:
        event_loop.run(_loop_module(), loop="uvloop")
    assert info.value.field == event_loop.ENV_VAR
    assert "pip install" in info.value.reason


def test_the_environment_variable_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(event_loop.ENV_VAR, "asyncio")
    assert event_loop.run(_loop_module()).startswith("asyncio")
    monkeypatch.setenv(event_loop.ENV_VAR, " Bogus ")
    with pytest.raises(InvalidField, match="'bogus' is not an event loop"):
        event_loop.run(_loop_module())


def test_a_bad_value_is_one_line_from_the_cli_not_a_traceback(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "relaydesk", "emulator", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), event_loop.ENV_VAR: "tokio"},
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"relaydesk emulator: error: {event_loop.ENV_VAR}: 'tokio' is not an event loop"
        " RelayDesk knows: use auto, uvloop, asyncio"
    ]


def test_auto_leaves_uvloop_out_of_a_command_with_few_messages() -> None:
    """Its import would cost a one-message send more than it saves."""
    pytest.importorskip("uvloop")
    few = event_loop.UVLOOP_MIN_MESSAGES - 1
    assert event_loop.run(_loop_module(), loop="auto", messages=few).startswith("asyncio")
    assert event_loop.run(_loop_module(), loop="uvloop", messages=1) == "uvloop"
    many = event_loop.UVLOOP_MIN_MESSAGES
    assert event_loop.run(_loop_module(), loop="auto", messages=many) == "uvloop"
