"""``python -m relaydesk --demo --self-test --screenshot PATH`` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.keyring_service import SecretServiceSession, run_secret_service

pytestmark = [pytest.mark.gui, pytest.mark.e2e, pytest.mark.slow]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(tmp_path: Path, *extra: str, keyring: bool = False) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["RELAYDESK_CONFIG_DIR"] = str(tmp_path / "config")
    env["HOME"] = str(tmp_path / "home")  # the emulator's data dir lives under it
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    if not keyring:
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # no keyring: secrets stay in memory
    return subprocess.run(
        [sys.executable, "-m", "relaydesk", "--demo", "--self-test", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_self_test_passes_and_saves_a_screenshot(tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    result = _run(tmp_path, "--screenshot", str(shot))
    assert result.returncode == 0, result.stdout + result.stderr
    for step in (
        "demo mode",
        "listener online",
        "sender connected",
        "message round trip",
        "HTTP round trip",
    ):
        assert f"self-test: {step} ✓" in result.stdout
    assert "self-test passed" in result.stdout
    assert "self-test: keyring backend: none (kept in memory)" in result.stdout
    assert "Traceback" not in result.stderr
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000


@pytest.fixture
def secret_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretServiceSession]:
    with run_secret_service(tmp_path / "keyring", monkeypatch) as session:
        yield session


@pytest.mark.keyring
def test_self_test_names_the_secret_service_the_demo_does_not_use(
    tmp_path: Path, secret_service: SecretServiceSession
) -> None:
    """The demo keeps its secrets in memory, yet the self-test still opens the
    OS keyring and names its backend (what a packager checks)."""
    result = _run(tmp_path, keyring=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test: keyring backend: Secret Service" in result.stdout


class _Button:
    def click(self) -> None:
        """A Demo button that does nothing: demo mode never comes up."""


class _ProfileBar:
    def __init__(self) -> None:
        self.buttons = {"demo": _Button()}


class _StuckWindow:
    demo_info = None

    def __init__(self) -> None:
        self.profile_bar = _ProfileBar()

    def grab(self):  # type: ignore[no-untyped-def]
        raise AssertionError("no screenshot was asked for")


@pytest.mark.asyncio
async def test_a_failing_step_is_printed_with_a_non_zero_exit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from relaydesk.gui import self_test

    monkeypatch.setattr(self_test, "STEP_TIMEOUT", 0.2)
    code = await self_test.run_self_test(_StuckWindow(), screenshot=None, reporter=None)
    assert code == 1
    assert "self-test FAILED at demo mode: timed out" in capsys.readouterr().err
