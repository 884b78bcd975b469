"""DemoBridge: demo mode's start-up runs in its own task and reports through signals."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from relaydesk.gui.bridges.demo_bridge import DEMO_PROFILE, DemoBridge, DemoInfo
from relaydesk.gui.bridges.listener_bridge import ListenerBridge
from relaydesk.gui.bridges.sender_bridge import SenderBridge
from relaydesk.gui.bridges.workspace import Workspace
from tests.gui.conftest import wait_signal
from tests.memory_keyring import MemoryKeyring

pytestmark = pytest.mark.gui


@pytest_asyncio.fixture
async def workspace(_isolated_config: Path) -> AsyncIterator[Workspace]:
    workspace = Workspace(ListenerBridge(), SenderBridge(), config_dir=_isolated_config)
    yield workspace
    await workspace.close()


@pytest.mark.asyncio
async def test_start_opens_the_stores_and_makes_the_demo_profile_current(
    workspace: Workspace, emulator_data_dir: Path
) -> None:
    demo = DemoBridge(workspace, data_dir=emulator_data_dir, token_lifetime=60)
    try:
        demo.start()
        assert demo.starting
        demo.start()  # a second press while starting is ignored
        (info,) = await wait_signal(demo.started)
        assert isinstance(info, DemoInfo) and info.profile_name == DEMO_PROFILE
        assert await demo.ready() is info and demo.info is info
        assert workspace.profile is not None and workspace.profile.name == DEMO_PROFILE
        assert workspace.backend is not None and demo.running
        assert demo.emulator is not None
        child = demo.emulator.pid
        assert child is not None and child != os.getpid()  # the emulator is a child process
    finally:
        await demo.stop()
    assert not demo.running
    with pytest.raises(ProcessLookupError):  # stopped and reaped: nothing left running
        os.kill(child, 0)


@pytest.mark.asyncio
async def test_a_failed_start_is_an_error_signal_and_ready_says_so(
    workspace: Workspace, tmp_path: Path
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("", encoding="utf-8")
    demo = DemoBridge(workspace, data_dir=not_a_directory)
    demo.start()
    (info,) = await wait_signal(demo.error)
    assert info.message and demo.info is None and not demo.running
    with pytest.raises(RuntimeError, match="did not start"):
        await demo.ready()
    await demo.stop()


def test_a_fault_without_a_running_emulator_is_reported_not_raised(
    workspace: Workspace,
) -> None:
    demo = DemoBridge(workspace)
    failed: list[object] = []
    demo.fault_failed.connect(failed.append)
    demo.expire_listener_token()
    assert [getattr(info, "kind", None) for info in failed] == ["DemoNotRunning"]


@pytest.mark.asyncio
async def test_the_demo_keeps_its_throw_away_secrets_out_of_the_keyring(
    workspace: Workspace, emulator_data_dir: Path
) -> None:
    """The emulator mints the demo's client secrets at every start: they stay in
    memory, and a start into the demo never opens the OS keyring at all."""
    import keyring

    backend = MemoryKeyring()
    keyring.set_keyring(backend)  # the autouse fixture restores the failing one
    workspace.open(keyring=False)
    demo = DemoBridge(workspace, data_dir=emulator_data_dir, token_lifetime=60)
    try:
        demo.start()
        await wait_signal(demo.started)
        assert workspace.secrets_status == {"listener": True, "sender": True, "proxy": False}
        assert workspace.backend is not None  # Start and Connect have their secrets
        for role in ("listener", "sender"):
            assert workspace.secrets.session_only(f"{DEMO_PROFILE}/{role}")
        assert backend.items == {}
        assert not workspace.secrets.opened and not workspace.persistent_secrets
    finally:
        await demo.stop()
