"""Tests for relaydesk.emulator.admin: the ``/$admin`` endpoint over TLS (§13).

Every call goes through the running emulator; the effect of a fault is
checked on the wire (close codes on control channels, the listener listing).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from relaydesk.emulator.admin import ADMIN_HEADER
from tests.emulator.conftest import HttpResult, RelayKit
from tests.emulator_log import EmulatorLog

pytestmark = pytest.mark.e2e

NAMES = [
    "close-control-channels",
    "drop-control-channels",
    "expire-listener-tokens",
    "grant-role",
    "revoke-role",
    "set-response-delay",
]


async def admin_request(
    kit: RelayKit,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> HttpResult:
    """One request to ``admin_url + path``; the admin key unless ``headers`` say otherwise."""
    sent = {ADMIN_HEADER: kit.emulator.admin_key} if headers is None else headers
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, kit.emulator.admin_url + path, data=body, headers=sent, ssl=kit.ssl
        ) as response,
    ):
        return HttpResult(
            response.status, response.reason or "", dict(response.headers), await response.read()
        )


async def listing(kit: RelayKit) -> dict[str, list[str]]:
    result = await admin_request(kit, "GET", "/listeners")
    assert result.status == 200, result.body
    table: dict[str, list[str]] = result.json()["listeners"]
    return table


def error_of(result: HttpResult, status: int, code: str) -> str:
    assert result.status == status, result.body
    error = result.json()["error"]
    assert error["code"] == code
    return str(error["message"])


async def closed_with(control: Any) -> tuple[int | None, str]:
    with pytest.raises(ConnectionClosed) as info:
        await control.recv()
    rcvd = info.value.rcvd
    return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "headers",
    [{}, {ADMIN_HEADER: "wrong"}, {ADMIN_HEADER: ""}, {"Authorization": "key"}],
    ids=["none", "wrong", "empty", "other-header"],
)
async def test_a_fault_without_the_key_is_401_and_does_nothing(
    kit: RelayKit, headers: dict[str, str]
) -> None:
    async with asyncio.timeout(20), await kit.listen(listener_id="stays"):
        if "Authorization" in headers:
            headers = {"Authorization": kit.emulator.admin_key}
        result = await admin_request(kit, "POST", "/faults/drop-control-channels", headers=headers)
        assert ADMIN_HEADER in error_of(result, 401, "Unauthorized")
        assert await listing(kit) == {"demo": ["stays"]}


@pytest.mark.asyncio
async def test_the_listing_needs_the_key_too(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        result = await admin_request(kit, "GET", "/listeners", headers={ADMIN_HEADER: "nope"})
        error_of(result, 401, "Unauthorized")


@pytest.mark.asyncio
async def test_an_unknown_fault_is_404_and_names_the_known_ones(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        message = error_of(await kit.admin("no-such-fault"), 404, "UnknownFault")
        assert "'no-such-fault'" in message
        assert all(name in message for name in NAMES)
        long = error_of(await kit.admin("z" * 500), 404, "UnknownFault")
        assert "z" * 60 in long and "z" * 61 not in long


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'"text"', b"\xff\xfe"], ids=["text", "array", "str", "bytes"]
)
async def test_the_body_must_be_a_json_object(kit: RelayKit, body: bytes) -> None:
    async with asyncio.timeout(20):
        result = await admin_request(kit, "POST", "/faults/set-response-delay", body=body)
        assert "JSON object" in error_of(result, 400, "BadRequest")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "args", "field"),
    [
        ("set-response-delay", {"seconds": "soon"}, "seconds must be a number or null"),
        ("set-response-delay", {"seconds": True}, "seconds must be a number or null"),
        ("close-control-channels", {"code": "1011"}, "code must be an integer"),
        ("close-control-channels", {"code": False}, "code must be an integer"),
        ("close-control-channels", {"reason": 5}, "reason must be a string"),
        ("drop-control-channels", {"entity": ["demo"]}, "entity must be a string"),
        ("grant-role", {"role": "Azure Relay Sender", "scope": "/"}, "identity is required"),
        ("revoke-role", {"identity": "sender", "role": "", "scope": "/"}, "role is required"),
        ("grant-role", {"identity": "sender", "role": "Azure Relay Sender"}, "scope is required"),
    ],
)
async def test_bad_arguments_are_400_naming_the_field(
    kit: RelayKit, name: str, args: dict[str, Any], field: str
) -> None:
    async with asyncio.timeout(20):
        assert error_of(await kit.admin(name, args), 400, "BadRequest") == field


@pytest.mark.asyncio
async def test_errors_of_the_fault_itself_are_400(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        bad_code = await kit.admin("close-control-channels", {"code": 1006})
        assert "1006" in error_of(bad_code, 400, "BadRequest")
        nobody = {"identity": "nobody", "role": "Azure Relay Sender", "scope": "/demo"}
        assert "nobody" in error_of(await kit.admin("grant-role", nobody), 400, "BadRequest")
        negative = await kit.admin("set-response-delay", {"seconds": -1})
        assert ">= 0" in error_of(negative, 400, "BadRequest")


@pytest.mark.asyncio
async def test_listing_groups_listener_ids_per_entity(kit: RelayKit) -> None:
    async with (
        asyncio.timeout(20),
        await kit.listen(listener_id="a1"),
        await kit.listen(listener_id="a2"),
        await kit.listen("open", listener_id="b1"),
    ):
        table = await listing(kit)
        assert {entity: sorted(ids) for entity, ids in table.items()} == {
            "demo": ["a1", "a2"],
            "open": ["b1"],
        }


@pytest.mark.asyncio
async def test_close_control_channels_defaults_and_counts(
    kit: RelayKit, emulator_log: EmulatorLog
) -> None:
    async with asyncio.timeout(20):
        demo, other = await kit.listen(), await kit.listen("open")
        result = await kit.admin("close-control-channels", {"entity": "demo"})
        assert (result.status, result.json()) == (200, {"ok": True, "result": 1})
        assert await closed_with(demo) == (1011, "NameRenewalFailed")
        await emulator_log.wait_for("listener detached")
        custom = {"code": 4000, "reason": "maintenance"}
        assert (await kit.admin("close-control-channels", custom)).json()["result"] == 1
        assert await closed_with(other) == (4000, "maintenance")


@pytest.mark.asyncio
async def test_drop_control_channels_counts_and_the_listing_follows(
    kit: RelayKit, emulator_log: EmulatorLog
) -> None:
    async with asyncio.timeout(20):
        first, second = await kit.listen(listener_id="x"), await kit.listen(listener_id="y")
        result = await kit.admin("drop-control-channels", {"entity": "demo"})
        assert result.json() == {"ok": True, "result": 2}
        assert await closed_with(first) == (None, "")  # no close frame (§13)
        assert await closed_with(second) == (None, "")
        await emulator_log.wait_for("listener detached", count=2)
        assert await listing(kit) == {}
        assert (await kit.admin("drop-control-channels")).json()["result"] == 0


@pytest.mark.asyncio
async def test_snake_case_names_are_accepted(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        control = await kit.listen()
        result = await kit.admin("expire_listener_tokens")
        assert result.json() == {"ok": True, "result": 1}
        code, reason = await closed_with(control)
        assert code == 1008 and "expired" in reason


@pytest.mark.asyncio
async def test_set_response_delay_answers_null(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        for seconds in (0.5, None, 0):
            result = await kit.admin("set-response-delay", {"seconds": seconds})
            assert (result.status, result.json()) == (200, {"ok": True, "result": None})


@pytest.mark.asyncio
async def test_roles_changed_through_the_endpoint_take_effect(kit: RelayKit) -> None:
    role = {"identity": "outsider", "role": "Azure Relay Listener", "scope": "/demo"}
    async with asyncio.timeout(30):
        token = await kit.entra_token("outsider")
        assert (await kit.admin("grant-role", role)).json() == {"ok": True, "result": None}
        async with await kit.listen(token=token, listener_id="outsider"):
            assert (await listing(kit))["demo"] == ["outsider"]
        assert (await kit.admin("revoke-role", role)).status == 200
        with pytest.raises(InvalidStatus) as refused:
            await kit.listen(token=token)
        assert refused.value.response.status_code == 403
