"""Tests for relaydesk.emulator.gate: where the token is read and how a
refusal looks (§3, §4.2, §9.4), through the running emulator over TLS."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.emulator.conftest import HttpResult, RelayKit
from tests.emulator.test_http_sender import Recorder, serving
from tests.emulator_log import EmulatorLog

pytestmark = pytest.mark.e2e


def wrong(kit: RelayKit) -> str:
    """A well-formed SAS token signed with the wrong key (401 InvalidSignature)."""
    return kit.sas(key="A" * 44)


async def listen_with(
    kit: RelayKit, *, header: str | None = None, query: str | None = None
) -> ClientConnection:
    """Open a control channel with the token in the header, the query, both or neither."""
    url = f"wss://{kit.ns}/$hc/demo?sb-hc-action=listen&sb-hc-id=gate"
    if query is not None:
        url += "&sb-hc-token=" + quote(query, safe="")
    headers = {"ServiceBusAuthorization": header} if header is not None else {}
    return await connect(url, ssl=kit.ssl, additional_headers=headers)


async def refusal(awaitable: Any) -> tuple[int, str]:
    """A handshake that must be refused: its status and the JSON error code."""
    with pytest.raises(InvalidStatus) as info:
        await awaitable
    response = info.value.response
    return response.status_code, json.loads(response.body)["error"]["code"]


def code_of(result: HttpResult) -> tuple[int, str]:
    return result.status, result.json()["error"]["code"]


@pytest.mark.asyncio
async def test_a_websocket_reads_the_header_before_the_query(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        async with await listen_with(kit, header=kit.sas(), query=wrong(kit)):
            pass
        assert await refusal(listen_with(kit, header=wrong(kit), query=kit.sas())) == (
            401,
            "InvalidSignature",
        )


@pytest.mark.asyncio
async def test_a_websocket_falls_back_to_the_query_token(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        async with await listen_with(kit, query=kit.sas()):
            pass
        async with await listen_with(kit, header="", query=kit.sas()):  # empty header: not a token
            pass


@pytest.mark.asyncio
async def test_no_token_at_all_is_401_before_the_authorizer(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        assert await refusal(listen_with(kit)) == (401, "TokenMissingOrInvalid")
        assert await refusal(listen_with(kit, header="", query="")) == (
            401,
            "TokenMissingOrInvalid",
        )
        assert await refusal(kit.connect(token="")) == (401, "TokenMissingOrInvalid")
        assert code_of(await kit.http("GET", "/demo")) == (401, "TokenMissingOrInvalid")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("token", "hint"),
    [
        ("junk", "missing or malformed"),
        ("SharedAccessSignature nothing", "no '='"),
        ("Bearer a.b.c", "without the 'Bearer ' prefix"),
    ],
    ids=["junk", "sas-without-fields", "bearer"],
)
async def test_a_malformed_token_is_401_with_the_cause(
    kit: RelayKit, token: str, hint: str
) -> None:
    async with asyncio.timeout(20):
        result = await kit.http("GET", "/demo", headers={"ServiceBusAuthorization": token})
        assert code_of(result) == (401, "MalformedToken")
        assert hint in result.json()["error"]["message"]
        assert await refusal(listen_with(kit, header=token)) == (401, "MalformedToken")


@pytest.mark.asyncio
async def test_a_valid_token_without_the_right_is_403(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        send_only = kit.sas("send-only")
        assert await refusal(listen_with(kit, header=send_only)) == (403, "MissingRight")
        async with await kit.listen():
            listen_only = {"ServiceBusAuthorization": kit.sas("listen-only")}
            result = await kit.http("GET", "/demo", headers=listen_only)
            assert code_of(result) == (403, "MissingRight")
            assert "Send" in result.json()["error"]["message"]
            assert await refusal(kit.connect(token=kit.sas("listen-only"))) == (
                403,
                "MissingRight",
            )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("headers", "path", "status"),
    [
        ({"ServiceBusAuthorization": "WRONG"}, "/demo?sb-hc-token=GOOD", 200),
        ({"ServiceBusAuthorization": "GOOD"}, "/demo?sb-hc-token=WRONG", 401),
        ({"ServiceBusAuthorization": "GOOD", "Authorization": "WRONG"}, "/demo", 200),
        ({"ServiceBusAuthorization": "WRONG", "Authorization": "GOOD"}, "/demo", 401),
        ({"Authorization": "GOOD"}, "/demo", 200),
    ],
    ids=["query-first", "query-wrong", "sb-header-second", "sb-header-wrong", "authorization"],
)
async def test_an_http_sender_reads_query_then_header_then_authorization(
    kit: RelayKit, headers: dict[str, str], path: str, status: int
) -> None:
    """§3: ``sb-hc-token``, else ``ServiceBusAuthorization``, else ``Authorization``."""
    good, bad = kit.sas(), wrong(kit)

    def fill(text: str, *, quoted: bool) -> str:
        return text.replace("GOOD", quote(good, safe="") if quoted else good).replace(
            "WRONG", quote(bad, safe="") if quoted else bad
        )

    recorder = Recorder()
    async with asyncio.timeout(20), await serving(kit, recorder):
        sent = {name: fill(value, quoted=False) for name, value in headers.items()}
        result = await kit.http("GET", fill(path, quoted=True), headers=sent)
    assert result.status == status, result.body
    if status == 401:
        assert result.json()["error"]["code"] == "InvalidSignature"
        return
    forwarded = {k.lower(): v for k, v in recorder.requests[0]["requestHeaders"].items()}
    assert "servicebusauthorization" not in forwarded
    if "Authorization" in headers and "ServiceBusAuthorization" in headers:
        # not the token that was used: forwarded to the listener untouched (§3 rule 3)
        assert forwarded["authorization"] == sent["Authorization"]
    else:
        assert "authorization" not in forwarded  # it was the token: never forwarded


@pytest.mark.asyncio
async def test_refusals_are_logged_with_who_and_why_but_no_token(
    kit: RelayKit, emulator_log: EmulatorLog
) -> None:
    bad = wrong(kit)
    async with asyncio.timeout(20):
        await refusal(listen_with(kit, header=bad))
        await refusal(kit.connect(token=bad))
        await kit.http("GET", "/demo", headers={"ServiceBusAuthorization": bad})
    refusals = [line for line in emulator_log.lines if "refused" in line]
    assert [line.split(" refused")[0] for line in refusals] == [
        "listener gate",
        "sender",
        "http sender",
    ]
    for line in refusals:
        assert "entity=demo status=401 code=InvalidSignature" in line
    signature = bad.split("sig=", 1)[1].split("&", 1)[0]
    assert not any(signature in line for line in emulator_log.lines)
