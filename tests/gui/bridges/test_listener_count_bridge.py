"""ListenerCountBridge against the real emulator: counts 0, 1, 2, failures, confirm (§11)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from relaydesk.auth.sas_provider import SasTokenProvider
from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.gui.bridges.listener_count_bridge import ListenerCountBridge
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.runtime_info import RuntimeInfo
from relaydesk.relay.listener import Listener
from relaydesk.relay.runtime_info import get_runtime_info
from relaydesk.relay.tls import make_ssl_context
from relaydesk.secrets import Secret
from tests.gui.conftest import until

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


@pytest_asyncio.fixture
async def emulator(emulator_data_dir: Path) -> AsyncIterator[Emulator]:
    emu = Emulator(EmulatorOptions(data_dir=emulator_data_dir))
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


def _parts(emu: Emulator) -> tuple[HybridConnectionAddress, SasTokenProvider]:
    address = HybridConnectionAddress.parse(f"sb://{emu.namespace}/demo")
    rule = emu.world.sas_rules["RootManageSharedAccessKey"]
    return address, SasTokenProvider(address, rule.name, Secret(rule.primary_key))


def _fetcher(emu: Emulator) -> Callable[[], object]:
    address, tokens = _parts(emu)
    ssl_context = make_ssl_context(emu.ca_file)

    async def fetch() -> RuntimeInfo:
        return await get_runtime_info(address, tokens, ssl_context=ssl_context)

    return fetch


@pytest.mark.asyncio
async def test_counts_follow_the_emulator_while_active(emulator: Emulator) -> None:
    bridge = ListenerCountBridge(interval=0.05, error_interval=0.05)
    seen: list[object] = []
    bridge.count_changed.connect(seen.append)
    bridge.set_fetcher(_fetcher(emulator))  # type: ignore[arg-type]
    assert seen == [] and bridge.count is None  # inactive: nothing asked
    bridge.set_active(True)
    bridge.want()
    await until(lambda: bridge.count == 0, "count 0")
    address, tokens = _parts(emulator)
    listeners = [
        Listener(address, tokens, ssl_context=make_ssl_context(emulator.ca_file)) for _ in range(2)
    ]
    try:
        await listeners[0].start()
        await until(lambda: bridge.count == 1, "count 1")
        await listeners[1].start()
        await until(lambda: bridge.count == 2, "count 2")
    finally:
        for listener in listeners:
            await listener.stop()
    await until(lambda: bridge.count == 0, "count back to 0")
    await bridge.aclose()
    assert seen == [0, 1, 2, 0]


@pytest.mark.asyncio
async def test_failure_makes_the_count_unknown_and_is_reported(emulator: Emulator) -> None:
    address = HybridConnectionAddress.parse(f"sb://{emulator.namespace}/demo")
    ssl_context = make_ssl_context(emulator.ca_file)

    async def fetch() -> RuntimeInfo:
        wrong = SasTokenProvider(address, "RootManageSharedAccessKey", Secret("d3Jvbmc="))
        return await get_runtime_info(address, wrong, ssl_context=ssl_context)

    bridge = ListenerCountBridge(interval=0.05, error_interval=10.0)
    failures: list[object] = []
    bridge.failed.connect(failures.append)
    bridge.set_fetcher(fetch)
    bridge.set_active(True)
    bridge.want()
    await until(lambda: bool(failures), "the failure")
    assert bridge.count is None
    assert getattr(failures[0], "kind", "") == "Unauthorized"
    await bridge.aclose()


@pytest.mark.asyncio
async def test_confirm_asks_again_before_warning(emulator: Emulator) -> None:
    bridge = ListenerCountBridge(interval=60.0)
    bridge.set_fetcher(_fetcher(emulator))  # type: ignore[arg-type]
    bridge.set_active(True)
    bridge.want()
    await until(lambda: bridge.count == 0, "count 0")
    outcomes: list[str] = []
    bridge.confirm(lambda: outcomes.append("proceed"), lambda: outcomes.append("warn"))
    await until(lambda: bool(outcomes), "a decision")
    assert outcomes == ["warn"]
    address, tokens = _parts(emulator)
    listener = Listener(address, tokens, ssl_context=make_ssl_context(emulator.ca_file))
    await listener.start()
    try:
        assert bridge.count == 0  # stale: the next poll is a minute away
        bridge.confirm(lambda: outcomes.append("proceed"), lambda: outcomes.append("warn"))
        await until(lambda: len(outcomes) == 2, "a second decision")
        assert outcomes == ["warn", "proceed"]
        assert bridge.count == 1
    finally:
        await listener.stop()
        await bridge.aclose()


@pytest.mark.asyncio
async def test_a_refresh_during_a_fetch_is_answered_by_a_fresh_one(emulator: Emulator) -> None:
    """The sender pane asks again when this app's listener comes online; a fetch
    already on its way was asked before, and its 0 must not stand for a whole interval."""
    import asyncio

    address, tokens = _parts(emulator)
    fetch_now = _fetcher(emulator)
    release = asyncio.Event()
    calls = 0

    async def slow_first() -> object:
        nonlocal calls
        calls += 1
        answer = await fetch_now()  # asked before the listener is online: 0
        if calls == 1:
            await release.wait()
        return answer

    bridge = ListenerCountBridge(interval=3600, error_interval=3600)  # no polling help
    bridge.set_fetcher(slow_first)  # type: ignore[arg-type]
    bridge.set_active(True)
    bridge.want()
    await until(lambda: calls == 1, "the first fetch on its way")
    listener = Listener(address, tokens, ssl_context=make_ssl_context(emulator.ca_file))
    async with listener:
        bridge.refresh()  # this app's listener is online now
        release.set()
        await until(lambda: bridge.count == 1, "the count after the listener came online")
    await bridge.aclose()


@pytest.mark.asyncio
async def test_nothing_is_asked_until_the_count_is_wanted(emulator: Emulator) -> None:
    """Visible with a profile is not enough: asking needs a token (and the relay
    client and auth libraries to get one), so it waits until the count matters."""
    fetch_now = _fetcher(emulator)
    calls = 0

    async def counting() -> object:
        nonlocal calls
        calls += 1
        return await fetch_now()

    bridge = ListenerCountBridge(interval=0.05, error_interval=0.05)
    bridge.set_fetcher(counting)  # type: ignore[arg-type]
    bridge.set_active(True)
    bridge.refresh()  # this app's listener went away: still nothing to ask
    assert not bridge.polling and not bridge.wanted
    bridge.want()
    assert bridge.polling
    await until(lambda: bridge.count == 0, "count 0")
    assert calls >= 1
    await bridge.aclose()


@pytest.mark.asyncio
async def test_the_first_confirm_asks_then_polls(emulator: Emulator) -> None:
    """Connect pressed before anyone asked: the relay is asked first (a 0 warns),
    and polling starts after that answer, not alongside it."""
    bridge = ListenerCountBridge(interval=3600)
    bridge.set_fetcher(_fetcher(emulator))  # type: ignore[arg-type]
    bridge.set_active(True)
    assert bridge.count is None and not bridge.polling
    outcomes: list[str] = []
    bridge.confirm(lambda: outcomes.append("proceed"), lambda: outcomes.append("warn"))
    await until(lambda: bool(outcomes), "a decision")
    assert outcomes == ["warn"] and bridge.count == 0
    assert bridge.wanted and bridge.polling
    await bridge.aclose()


@pytest.mark.asyncio
async def test_forget_stops_asking_until_the_count_matters_again(emulator: Emulator) -> None:
    """Another profile took over: its count is not asked for (a token nobody
    wanted) until one of its sides runs or the user asks."""
    bridge = ListenerCountBridge(interval=3600)
    bridge.set_fetcher(_fetcher(emulator))  # type: ignore[arg-type]
    bridge.set_active(True)
    bridge.want()
    await until(lambda: bridge.count == 0, "count 0")
    counts: list[int | None] = []
    bridge.count_changed.connect(counts.append)
    bridge.forget()
    assert not bridge.wanted and not bridge.polling
    assert bridge.count is None and counts == [None]
    bridge.set_fetcher(_fetcher(emulator))  # type: ignore[arg-type]  # the new profile's
    assert not bridge.polling
    bridge.want()
    await until(lambda: bridge.count == 0, "count 0 again")
    await bridge.aclose()
