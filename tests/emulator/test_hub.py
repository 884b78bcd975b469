"""Tests for relaydesk.emulator.hub: the listener registry (§4.7) and the
per-channel send lock (§4.4), observed through the running emulator."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from tests.emulator.conftest import RelayKit, kit_for, send_response
from tests.emulator.test_admin import listing
from tests.emulator_log import EmulatorLog

pytestmark = pytest.mark.e2e


async def refused_status(awaitable: Any) -> int:
    with pytest.raises(InvalidStatus) as info:
        await awaitable
    return int(info.value.response.status_code)


@pytest.mark.asyncio
async def test_the_limit_counts_per_entity_and_a_detach_frees_a_slot(
    make_emulator: Any, emulator_log: EmulatorLog
) -> None:
    kit = kit_for(await make_emulator(max_listeners=2))
    async with asyncio.timeout(20):
        first, second = await kit.listen(listener_id="1"), await kit.listen(listener_id="2")
        assert await refused_status(kit.listen(listener_id="3")) == 403
        other = await kit.listen("open", listener_id="o")  # another entity has its own count
        await first.close()
        await emulator_log.wait_for("listener detached: entity=demo id=1")
        third = await kit.listen(listener_id="3")
        table = await listing(kit)
        assert {entity: sorted(ids) for entity, ids in table.items()} == {
            "demo": ["2", "3"],
            "open": ["o"],
        }
        for control in (second, third, other):
            await control.close()
        await emulator_log.wait_for("listener detached", count=4)
        assert await listing(kit) == {}


@pytest.mark.asyncio
async def test_a_refused_listener_is_never_registered(
    make_emulator: Any, emulator_log: EmulatorLog
) -> None:
    kit = kit_for(await make_emulator(max_listeners=1))
    async with asyncio.timeout(20), await kit.listen(listener_id="in"):
        for _ in range(3):
            assert await refused_status(kit.listen(listener_id="out")) == 403
        assert await listing(kit) == {"demo": ["in"]}
    assert emulator_log.count("listener attached") == 1


@pytest.mark.asyncio
async def test_concurrent_requests_never_split_a_command_from_its_body(kit: RelayKit) -> None:
    """Each inline ``request`` is followed by its own body, however many are sent at once (§4.4)."""
    count = 40
    seen: list[tuple[str, bytes]] = []

    async def answer(control: Any) -> None:
        for _ in range(count):
            request = json.loads(await control.recv())["request"]
            body = await control.recv()
            tag = request["requestHeaders"]["X-Tag"]
            seen.append((tag, body))
            await send_response(control, request["id"], 200, body)

    async with asyncio.timeout(30), await kit.listen() as control:
        answering = asyncio.ensure_future(answer(control))

        async def send(i: int) -> bytes:
            headers = {"ServiceBusAuthorization": kit.sas(), "X-Tag": str(i)}
            body = f"body-{i}-".encode() * (i * 50 + 1)
            result = await kit.http("POST", "/demo", data=body, headers=headers)
            assert result.status == 200
            return result.body

        replies = await asyncio.gather(*(send(i) for i in range(count)))
        await answering
    assert sorted(int(tag) for tag, _ in seen) == list(range(count))
    for tag, body in seen:
        assert body == f"body-{tag}-".encode() * (int(tag) * 50 + 1)
    assert replies == [f"body-{i}-".encode() * (i * 50 + 1) for i in range(count)]
