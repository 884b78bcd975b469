"""Tests for relaydesk.emulator.http_rendezvous: the listener's request
rendezvous socket, ``sb-hc-action=request`` (§7.2, §7.4), over real TLS."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.emulator.conftest import RelayKit, kit_for, send_response

pytestmark = pytest.mark.e2e

BIG = 70_000  # over the 64 KiB inline limit: the request goes rendezvous-only (§7.2)


def auth(kit: RelayKit) -> dict[str, str]:
    return {"ServiceBusAuthorization": kit.sas()}


async def first_request(
    kit: RelayKit, control: ClientConnection, path: str = "/demo", data: bytes | None = None
) -> tuple[dict[str, Any], asyncio.Future[Any]]:
    """Start an HTTP sender; return the request its listener got and the sender's task."""
    method = "POST" if data is not None else "GET"
    task = asyncio.ensure_future(kit.http(method, path, data=data, headers=auth(kit)))
    return json.loads(await control.recv())["request"], task


async def closed_by_service(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed):
        while True:
            await ws.recv()
    assert ws.protocol.close_rcvd is not None
    return ws.protocol.close_rcvd.code, ws.protocol.close_rcvd.reason


async def refusal(address: str, kit: RelayKit) -> tuple[int, str]:
    with pytest.raises(InvalidStatus) as info:
        await connect(address, ssl=kit.ssl)
    response = info.value.response
    return response.status_code, json.loads(response.body)["error"]["message"]


@pytest.mark.asyncio
async def test_a_rendezvous_only_request_travels_whole_over_the_socket(kit: RelayKit) -> None:
    body = os.urandom(BIG)
    async with asyncio.timeout(20), await kit.listen() as control:
        announced, task = await first_request(kit, control, "/demo/up?x=1", body)
        assert set(announced) == {"address"}
        async with connect(announced["address"], ssl=kit.ssl, max_size=None) as rendezvous:
            request = json.loads(await rendezvous.recv())["request"]
            assert request["address"] == announced["address"]
            assert (request["method"], request["requestTarget"], request["body"]) == (
                "POST",
                "/demo/up?x=1",
                True,
            )
            assert await rendezvous.recv() == body
            await send_response(rendezvous, request["id"], 201, b"stored", {"X-Id": "7"}, "Made")
            assert await closed_by_service(rendezvous) == (1000, "")
        result = await task
    assert (result.status, result.reason, result.body) == (201, "Made", b"stored")
    assert result.headers["X-Id"] == "7"


@pytest.mark.asyncio
async def test_an_inline_request_is_not_sent_again_on_the_socket(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        request, task = await first_request(kit, control, data=b"small")
        assert await control.recv() == b"small"
        async with connect(request["address"], ssl=kit.ssl) as rendezvous:
            await send_response(rendezvous, request["id"], 200, b"")  # no body message
            # had the emulator sent the request here, recv() would return it
            assert await closed_by_service(rendezvous) == (1000, "")
        result = await task
    assert (result.status, result.body) == (200, b"")


@pytest.mark.asyncio
async def test_the_address_serves_one_upgrade_and_only_for_requests(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        request, task = await first_request(kit, control)
        as_accept = request["address"].replace("sb-hc-action=request", "sb-hc-action=accept")
        status, message = await refusal(as_accept, kit)
        assert status == 403 and "not valid for 'accept'" in message
        async with connect(request["address"], ssl=kit.ssl) as rendezvous:
            status, message = await refusal(request["address"], kit)
            assert status == 403 and "already used" in message
            await send_response(rendezvous, request["id"], 200, b"ok")
        assert (await task).body == b"ok"


BAD_ANSWERS: list[tuple[list[str | bytes], str]] = [
    ([b"binary first"], "Expected a response message."),
    (['{"renewToken": {"token": "x"}}'], "Expected a response message."),
    (["not json"], "Invalid response message: control message is not valid JSON"),
    (["RESPONSE", "text instead of the body"], "Expected the binary response body."),
]


@pytest.mark.asyncio
async def test_a_bad_answer_closes_the_socket_with_1002_and_the_sender_gets_502_at_once(
    make_emulator: Any,
) -> None:
    """The sender hears the cause long before its 60 s deadline ([EMU], module docstring)."""
    kit = kit_for(await make_emulator(http_response_timeout=60.0))

    async def answer_badly(messages: list[str | bytes]) -> tuple[tuple[int, str], Any]:
        request, task = await first_request(kit, control)
        response = {"requestId": request["id"], "statusCode": 200, "body": True}
        async with connect(request["address"], ssl=kit.ssl) as rendezvous:
            for message in messages:
                await rendezvous.send(
                    json.dumps({"response": response}) if message == "RESPONSE" else message
                )
            return await closed_by_service(rendezvous), await task

    async with asyncio.timeout(20), await kit.listen() as control:
        outcomes = [await answer_badly(messages) for messages, _ in BAD_ANSWERS]
    for ((code, text), result), (_, reason) in zip(outcomes, BAD_ANSWERS, strict=True):
        assert code == 1002 and text.startswith(reason), text
        error = result.json()["error"]
        assert (result.status, error["code"]) == (502, "BadGateway")
        assert reason in error["message"]
    await kit.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("with_header", [False, True], ids=["no response", "header, no body"])
async def test_a_socket_closed_before_the_answer_gives_the_sender_502(
    make_emulator: Any, with_header: bool
) -> None:
    kit = kit_for(await make_emulator(http_response_timeout=60.0))
    async with asyncio.timeout(20), await kit.listen() as control:
        request, task = await first_request(kit, control)
        async with connect(request["address"], ssl=kit.ssl) as rendezvous:
            if with_header:
                response = {"requestId": request["id"], "statusCode": 200, "body": True}
                await rendezvous.send(json.dumps({"response": response}))
        result = await task
    error = result.json()["error"]
    assert (result.status, error["code"]) == (502, "BadGateway")
    assert "closed the rendezvous socket before it responded" in error["message"]
    await kit.close()


@pytest.mark.asyncio
async def test_a_listener_silent_on_the_socket_is_closed_at_the_deadline(
    make_emulator: Any,
) -> None:
    kit = kit_for(await make_emulator(http_response_timeout=1.0))
    async with asyncio.timeout(20), await kit.listen() as control:
        request, task = await first_request(kit, control)
        async with connect(request["address"], ssl=kit.ssl) as rendezvous:
            assert await closed_by_service(rendezvous) == (
                1002,
                "The listener did not respond in the required time.",
            )
        assert (await task).status == 504
    await kit.close()


@pytest.mark.asyncio
async def test_a_socket_opened_after_the_answer_is_closed_with_1001(kit: RelayKit) -> None:
    """The inline answer came first; the socket has nothing left to carry (§7.4)."""
    await kit.emulator.faults.set_response_delay(1.0)  # keeps the request in flight
    async with asyncio.timeout(20), await kit.listen() as control:
        request, task = await first_request(kit, control)
        await send_response(control, request["id"], 200, b"inline answer")
        async with connect(request["address"], ssl=kit.ssl) as rendezvous:
            assert await closed_by_service(rendezvous) == (1001, "The sender is gone.")
        assert (await task).body == b"inline answer"


@pytest.mark.asyncio
async def test_a_late_listener_learns_why_the_address_is_refused(make_emulator: Any) -> None:
    kit = kit_for(await make_emulator(http_response_timeout=1.0))
    async with asyncio.timeout(20), await kit.listen() as control:
        request, task = await first_request(kit, control)
        assert (await task).status == 504
        status, message = await refusal(request["address"], kit)
    assert status == 403 and message.startswith("The rendezvous address has expired.")
    await kit.close()
