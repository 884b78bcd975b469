"""Fault controls (§4.3, §7.3, §13), called directly (the admin endpoint: test_admin.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from relaydesk.errors import EmulatorError
from tests.emulator.conftest import RelayKit, kit_for
from tests.emulator.test_hc_endpoint import echo_once, refused
from tests.emulator.test_http_sender import Recorder, auth

pytestmark = pytest.mark.e2e


async def closed_with(control: Any) -> tuple[int | None, str]:
    """Wait for the control channel to end; return (received code, reason)."""
    with pytest.raises(ConnectionClosed) as info:
        await control.recv()
    rcvd = info.value.rcvd
    return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")


@pytest.mark.asyncio
async def test_drop_control_channels_without_close_frame(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        a, b, other = await kit.listen(), await kit.listen(), await kit.listen("open")
        assert await kit.emulator.faults.drop_control_channels("demo") == 2
        assert await closed_with(a) == (None, "")
        assert await closed_with(b) == (None, "")
        await kit.serve(other)
        await echo_once(kit, "open", token="")  # other entities untouched
        await other.close()


@pytest.mark.asyncio
async def test_close_control_channels_with_1011(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        control = await kit.listen()
        assert await kit.emulator.faults.close_control_channels() == 1
        code, reason = await closed_with(control)
        assert code == 1011 and reason.startswith("NameRenewalFailed")
        with pytest.raises(EmulatorError):
            await kit.emulator.faults.close_control_channels(code=1006)


@pytest.mark.asyncio
async def test_expire_listener_tokens(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        control = await kit.listen()
        assert await kit.emulator.faults.expire_listener_tokens() == 1
        code, reason = await closed_with(control)
        assert code == 1008 and "expired" in reason


@pytest.mark.asyncio
async def test_response_delay_makes_senders_time_out(make_emulator: Any) -> None:
    emulator = await make_emulator(http_response_timeout=1.0)
    kit = kit_for(emulator)
    async with asyncio.timeout(30), await kit.listen() as control:
        await kit.serve(control, http=Recorder())
        await emulator.faults.set_response_delay(2.0)
        assert (await kit.http("GET", "/demo", headers=auth(kit))).status == 504
        await emulator.faults.set_response_delay(0.2)
        assert (await kit.http("GET", "/demo", headers=auth(kit))).status == 200
        await emulator.faults.set_response_delay(None)
        assert (await kit.http("GET", "/demo", headers=auth(kit))).status == 200
        with pytest.raises(EmulatorError):
            await emulator.faults.set_response_delay(-1)
    await kit.close()


@pytest.mark.asyncio
async def test_revoke_and_grant_roles_at_runtime(kit: RelayKit) -> None:
    faults = kit.emulator.faults
    async with asyncio.timeout(30):
        token = await kit.entra_token("listener")
        await faults.revoke_role("listener", "Azure Relay Listener", "/demo")
        assert (await refused(kit.listen(token=token)))[0] == 403
        await faults.grant_role("listener", "Azure Relay Listener", "/demo")
        control = await kit.listen(token=token)
        outsider = await kit.entra_token("outsider")
        await faults.grant_role("outsider", "Azure Relay Sender", "/")
        await kit.serve(control)
        await echo_once(kit, token=outsider)
        with pytest.raises(EmulatorError):
            await faults.grant_role("nobody", "Azure Relay Sender", "/")
        await control.close()
