"""Tests for relaydesk.emulator.control: listener control channels (§4):
attach, commands, renewToken and expiry, and what a closing channel leaves behind."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.emulator.conftest import RelayKit, kit_for, send_response
from tests.emulator.test_admin import listing
from tests.emulator_log import EmulatorLog

pytestmark = pytest.mark.e2e

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def closed_with(control: Any) -> tuple[int | None, str]:
    """Read until the service closes the channel; return its close code and reason."""
    with pytest.raises(ConnectionClosed) as info:
        while True:
            await control.recv()
    rcvd = info.value.rcvd
    return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")


def renew(token: str) -> str:
    return json.dumps({"renewToken": {"token": token}})


def sas_until(kit: RelayKit, expires_at: int, rule: str = "RootManageSharedAccessKey") -> str:
    from relaydesk.protocol.sas import build_sas_token

    return build_sas_token(f"http://{kit.ns}/demo", rule, kit.key(rule), expires_at=expires_at)


@pytest.mark.asyncio
async def test_the_listener_is_known_by_its_sb_hc_id_or_a_fresh_guid(
    kit: RelayKit, emulator_log: EmulatorLog
) -> None:
    url = f"wss://{kit.ns}/$hc/demo?sb-hc-action=listen"
    headers = {"ServiceBusAuthorization": kit.sas()}
    async with (
        asyncio.timeout(20),
        await kit.listen(listener_id="named-one"),
        connect(url, ssl=kit.ssl, additional_headers=headers),
    ):
        ids = sorted((await listing(kit))["demo"])
    assert ids[1] == "named-one"
    assert UUID.fullmatch(ids[0]), ids
    await emulator_log.wait_for("listener detached", count=2)
    assert emulator_log.count("listener attached: entity=demo id=named-one") == 1
    assert emulator_log.count("listener detached: entity=demo id=named-one close_code=1000") == 1


@pytest.mark.asyncio
async def test_the_quota_refusal_is_403_quota_exceeded(make_emulator: Any) -> None:
    kit = kit_for(await make_emulator(max_listeners=1))
    async with asyncio.timeout(20), await kit.listen():
        with pytest.raises(InvalidStatus) as info:
            await kit.listen()
    response = info.value.response
    error = json.loads(response.body)["error"]
    assert (response.status_code, error["code"]) == (403, "QuotaExceeded")
    assert "at most 1 listeners" in error["message"]
    assert "MaximumListenersPerEndpoint" in response.reason_phrase


@pytest.mark.asyncio
async def test_a_renewed_token_keeps_the_channel(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        await control.send(renew(kit.sas(ttl=7200)))
        await kit.serve(control)
        async with await kit.connect() as sender:  # the channel still routes senders
            await sender.send("after renew")
            assert await sender.recv() == "after renew"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda kit: kit.sas(key="A" * 44), "InvalidSignature"),
        (lambda kit: kit.sas("send-only"), "MissingRight"),
        (lambda kit: "junk", "MalformedToken"),
        (lambda kit: sas_until(kit, int(time.time()) - 10), "TokenExpired"),
    ],
    ids=["wrong-key", "no-listen-right", "malformed", "expired"],
)
async def test_a_rejected_renewal_closes_with_1008(
    kit: RelayKit, make_token: Any, code: str
) -> None:
    async with asyncio.timeout(20), await kit.listen("open") as healthy:
        control = await kit.listen()
        await control.send(renew(make_token(kit)))
        assert await closed_with(control) == (1008, f"{code}: renewToken rejected")
        await kit.serve(healthy)
        async with await kit.connect("open", token="") as sender:  # other channels unharmed
            await sender.send("x")
            assert await sender.recv() == "x"


@pytest.mark.asyncio
async def test_a_renewal_to_a_shorter_token_restarts_the_expiry_timer(kit: RelayKit) -> None:
    """The first token lasts an hour; the renewed one ends in a second: 1008 then (§4.6)."""
    async with asyncio.timeout(20), await kit.listen(token=kit.sas(ttl=3600)) as control:
        await control.send(renew(sas_until(kit, int(time.time()) + 1)))
        code, reason = await closed_with(control)
    assert (code, reason) == (1008, "TokenExpired: the listener's token expired")


@pytest.mark.asyncio
async def test_a_token_that_expires_closes_the_channel_with_1008(kit: RelayKit) -> None:
    async with (
        asyncio.timeout(20),
        await kit.listen(token=sas_until(kit, int(time.time()) + 1)) as c,
    ):
        assert await closed_with(c) == (1008, "TokenExpired: the listener's token expired")


@pytest.mark.asyncio
async def test_a_binary_message_closes_with_1003(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        await control.send(b"\x01\x02")
        code, reason = await closed_with(control)
    assert (code, reason) == (1003, "Unexpected binary message on the control channel")


@pytest.mark.asyncio
async def test_an_invalid_command_closes_with_1002_and_a_reason_cut_to_fit(
    kit: RelayKit,
) -> None:
    name = "é" * 200  # the parser names the repeated field: far over a close frame's 123 bytes
    async with asyncio.timeout(20), await kit.listen() as control:
        await control.send(f'{{"{name}": 1, "{name}": 2}}')
        code, reason = await closed_with(control)
    assert code == 1002
    assert reason.startswith("Invalid control message: control message repeats the field 'éé")
    assert 121 <= len(reason.encode()) <= 123  # cut whole characters only


@pytest.mark.asyncio
async def test_a_response_body_must_follow_as_binary(kit: RelayKit) -> None:
    auth = {"ServiceBusAuthorization": kit.sas()}
    async with asyncio.timeout(20), await kit.listen() as control:
        task = asyncio.ensure_future(kit.http("GET", "/demo", headers=auth))
        request = json.loads(await control.recv())["request"]
        response = {"requestId": request["id"], "statusCode": 200, "body": True}
        await control.send(json.dumps({"response": response}))
        await control.send("this should have been binary")
        code, reason = await closed_with(control)
        assert (code, reason) == (1002, "Expected the binary response body after the response")
        result = await task
    assert (result.status, result.json()["error"]["code"]) == (502, "ListenerGone")


@pytest.mark.asyncio
async def test_a_response_for_an_unknown_request_is_ignored(kit: RelayKit) -> None:
    auth = {"ServiceBusAuthorization": kit.sas()}
    async with asyncio.timeout(20), await kit.listen() as control:
        await send_response(control, "never-issued", 200, b"stray body")
        task = asyncio.ensure_future(kit.http("GET", "/demo", headers=auth))
        request = json.loads(await control.recv())["request"]
        await send_response(control, request["id"], 203, b"real", {"X-Real": "1"}, "Yes")
        result = await task
    assert (result.status, result.reason, result.body) == (203, "Yes", b"real")
    assert result.headers["X-Real"] == "1"


@pytest.mark.asyncio
async def test_leaving_fails_inline_requests_but_not_one_on_its_rendezvous(
    kit: RelayKit,
) -> None:
    """A request whose rendezvous the listener already took is answered there (§7.4)."""
    auth = {"ServiceBusAuthorization": kit.sas()}
    async with asyncio.timeout(20):
        control = await kit.listen()
        on_rendezvous = asyncio.ensure_future(kit.http("GET", "/demo/a", headers=auth))
        first = json.loads(await control.recv())["request"]
        inline = asyncio.ensure_future(kit.http("GET", "/demo/b", headers=auth))
        await control.recv()
        async with connect(first["address"], ssl=kit.ssl) as rendezvous:
            await control.close()
            result = await inline
            assert (result.status, result.json()["error"]["code"]) == (502, "ListenerGone")
            await send_response(rendezvous, first["id"], 200, b"still answered")
            assert (await on_rendezvous).body == b"still answered"
