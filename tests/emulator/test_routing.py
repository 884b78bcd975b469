"""Tests for relaydesk.emulator.routing: which listener gets a sender, the
headers and endpoint it is told about, and the one-time address it is given
(§4.7, §5.1, §7.2). Everything is observed as a plain-protocol listener sees it."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from multidict import CIMultiDict
from websockets.asyncio.client import connect
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus

from tests.emulator.conftest import RelayKit
from tests.emulator_log import EmulatorLog

pytestmark = pytest.mark.e2e

RENDEZVOUS_ID = re.compile(r"[A-Za-z0-9_-]{32}")


async def offered(kit: RelayKit, control: Any, **connect: Any) -> tuple[dict[str, Any], Any]:
    """Start a WebSocket sender and return the ``accept`` its listener got, and the sender task."""
    task = asyncio.ensure_future(kit.connect(**connect))
    accept = json.loads(await control.recv())["accept"]
    return accept, task


async def requested(kit: RelayKit, control: Any, method: str, path: str, **kw: Any) -> Any:
    """Start an HTTP sender and return the ``request`` its listener got, and the sender task."""
    headers = kw.pop("headers", CIMultiDict())
    headers["ServiceBusAuthorization"] = kit.sas()
    task = asyncio.ensure_future(kit.http(method, path, headers=headers, **kw))
    request = json.loads(await control.recv())["request"]
    return request, task


async def status_of(awaitable: Any) -> tuple[int, str]:
    with pytest.raises(InvalidStatus) as info:
        await awaitable
    response = info.value.response
    return response.status_code, json.loads(response.body)["error"]["code"]


@pytest.mark.asyncio
async def test_the_accept_address_keeps_suffix_and_query_but_no_sb_hc_parameter(
    kit: RelayKit,
) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        query = "a=1&sb-hc-token=secret&q=x%26y&sb-hc-id=conn-7"
        accept, task = await offered(kit, control, path="/sub/dir", query=query)
        task.cancel()
    parts = urlsplit(accept["address"])
    assert (parts.scheme, parts.netloc, parts.path) == ("wss", kit.ns, "/$hc/demo/sub/dir")
    assert parts.query.startswith("a=1&q=x%26y&sb-hc-action=accept&sb-hc-id=")
    params = parse_qsl(parts.query)
    assert [name for name, _ in params] == ["a", "q", "sb-hc-action", "sb-hc-id"]
    assert RENDEZVOUS_ID.fullmatch(params[-1][1])
    assert "secret" not in accept["address"]
    assert accept["id"] == "conn-7"  # the sender's sb-hc-id names the connection


@pytest.mark.asyncio
async def test_every_sender_gets_its_own_address(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        addresses = set()
        for _ in range(5):
            accept, task = await offered(kit, control)
            addresses.add(accept["address"])
            task.cancel()
    assert len(addresses) == 5


@pytest.mark.asyncio
async def test_the_request_address_points_at_the_request_action(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        request, task = await requested(kit, control, "GET", "/demo/a/b?k=v&sb-hc-id=x")
        task.cancel()
    parts = urlsplit(request["address"])
    assert (parts.netloc, parts.path) == (kit.ns, "/$hc/demo/a/b")
    assert parts.query.startswith("k=v&sb-hc-action=request&sb-hc-id=")
    assert RENDEZVOUS_ID.fullmatch(dict(parse_qsl(parts.query))["sb-hc-id"])


@pytest.mark.asyncio
async def test_connect_headers_fold_repeats_and_hide_the_token_and_extensions(
    kit: RelayKit,
) -> None:
    headers = Headers([("X-Trace", "one"), ("X-Trace", "two"), ("X-Single", "s")])
    headers["ServiceBusAuthorization"] = kit.sas()
    url = f"wss://{kit.ns}/$hc/demo?sb-hc-action=connect"
    async with asyncio.timeout(20), await kit.listen() as control:
        # websockets offers permessage-deflate unless told not to
        task = asyncio.ensure_future(connect(url, ssl=kit.ssl, additional_headers=headers))
        accept = json.loads(await control.recv())["accept"]
        task.cancel()
    sent = accept["connectHeaders"]
    assert sent["X-Trace"] == "one, two"
    assert sent["X-Single"] == "s"
    lower = {name.lower() for name in sent}
    assert "servicebusauthorization" not in lower
    assert "sec-websocket-extensions" not in lower  # extensions are not negotiated (§5.2)
    assert {"host", "upgrade", "sec-websocket-key"} <= lower


@pytest.mark.asyncio
async def test_request_headers_fold_repeats(kit: RelayKit) -> None:
    headers: CIMultiDict[str] = CIMultiDict([("X-Trace", "one"), ("X-Trace", "two")])
    async with asyncio.timeout(20), await kit.listen() as control:
        request, task = await requested(kit, control, "GET", "/demo", headers=headers)
        task.cancel()
    assert request["requestHeaders"]["X-Trace"] == "one, two"


@pytest.mark.asyncio
async def test_the_remote_endpoint_is_the_senders_socket(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        accept, task = await offered(kit, control)
        async with connect(accept["address"], ssl=kit.ssl), await task as sender:
            host, port = sender.local_address[:2]
    assert accept["remoteEndpoint"] == {"address": host, "port": port}
    assert host == "127.0.0.1"


@pytest.mark.asyncio
async def test_no_listener_is_404_for_websockets_and_502_for_http(
    kit: RelayKit, emulator_log: EmulatorLog
) -> None:
    async with asyncio.timeout(20):
        assert await status_of(kit.connect()) == (404, "EndpointNotFound")
        result = await kit.http("GET", "/demo", headers={"ServiceBusAuthorization": kit.sas()})
        assert (result.status, result.json()["error"]["code"]) == (502, "NoListener")
        assert "no listeners connected" in result.json()["error"]["message"]
    assert emulator_log.count("sender refused: entity=demo status=404 reason=no listener") == 1
    assert emulator_log.count("sender refused: entity=demo status=502 reason=no listener") == 1


@pytest.mark.asyncio
async def test_listener_filters_pick_by_id_case_and_space_insensitively(kit: RelayKit) -> None:
    async with (
        asyncio.timeout(20),
        await kit.listen(listener_id="Alpha") as alpha,
        await kit.listen(listener_id="beta") as beta,
    ):
        for header, chosen in [
            ({"Microsoft-Relay-AllowedListeners": " ALPHA ,nobody"}, alpha),
            ({"Microsoft-Relay-DisallowedListeners": "alpha"}, beta),
            (
                {
                    "Microsoft-Relay-AllowedListeners": "alpha,beta",
                    "Microsoft-Relay-DisallowedListeners": "Beta",
                },
                alpha,
            ),
        ]:
            task = asyncio.ensure_future(kit.connect(headers=header))
            accept = json.loads(await chosen.recv())["accept"]
            assert accept["connectHeaders"]
            task.cancel()


@pytest.mark.asyncio
async def test_filters_that_exclude_everyone_are_404(
    kit: RelayKit, emulator_log: EmulatorLog
) -> None:
    async with asyncio.timeout(20), await kit.listen(listener_id="only"):
        refused = kit.connect(headers={"Microsoft-Relay-DisallowedListeners": "only"})
        assert await status_of(refused) == (404, "EndpointNotFound")
        headers = {
            "ServiceBusAuthorization": kit.sas(),
            "Microsoft-Relay-AllowedListeners": "someone-else",
        }
        result = await kit.http("GET", "/demo", headers=headers)
        assert (result.status, result.json()["error"]["code"]) == (404, "EndpointNotFound")
    assert emulator_log.count("status=404 reason=listener filter") == 2
