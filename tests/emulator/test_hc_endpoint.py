"""The emulator's $hc endpoints (§4–§6): WebSocket relay behaviour over real TLS."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.emulator.conftest import RelayKit, echo_ws, kit_for
from tests.emulator_log import EmulatorLog

pytestmark = pytest.mark.e2e


async def refused(awaitable: Any) -> tuple[int, str]:
    """Await a handshake that must fail; return (status, reason phrase)."""
    with pytest.raises(InvalidStatus) as info:
        await awaitable
    return info.value.response.status_code, info.value.response.reason_phrase


async def echo_once(kit: RelayKit, entity: str = "demo", token: str | None = None) -> None:
    """One sender round trip through an already-serving listener."""
    async with await kit.connect(entity, token) as sender:
        await sender.send("ping")
        assert await sender.recv() == "ping"


@pytest.mark.asyncio
async def test_round_trip_with_sas_in_headers(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        await kit.serve(control)
        async with await kit.connect() as sender:
            await sender.send("hello")
            assert await sender.recv() == "hello"
            await sender.send(b"\x00\x01bin")
            assert await sender.recv() == b"\x00\x01bin"


@pytest.mark.asyncio
async def test_round_trip_with_sas_in_query(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen(in_query=True) as control:
        await kit.serve(control)
        url = f"wss://{kit.ns}/$hc/demo?sb-hc-action=connect&sb-hc-token=" + __import__(
            "urllib.parse"
        ).parse.quote(kit.sas(), safe="")
        async with connect(url, ssl=kit.ssl) as sender:
            await sender.send("q")
            assert await sender.recv() == "q"


@pytest.mark.asyncio
async def test_round_trip_with_entra_tokens(kit: RelayKit) -> None:
    listen_token = await kit.entra_token("listener")
    send_token = await kit.entra_token("sender")
    async with asyncio.timeout(20), await kit.listen(token=listen_token) as control:
        await kit.serve(control)
        await echo_once(kit, token=send_token)


@pytest.mark.asyncio
async def test_text_binary_fragmented_and_large_messages(kit: RelayKit) -> None:
    big_text = "x" * 1_000_000
    big_binary = bytes(range(256)) * 20_000  # 5 MB
    async with asyncio.timeout(60), await kit.listen() as control:
        await kit.serve(control)
        async with await kit.connect() as sender:
            await sender.send(["frag", "mented", " text"])
            assert await sender.recv() == "fragmented text"
            await sender.send([b"ab", b"cd"])
            assert await sender.recv() == b"abcd"
            await sender.send(big_text)
            assert await sender.recv() == big_text
            await sender.send(big_binary)
            assert await sender.recv() == big_binary
            await sender.send("")
            assert await sender.recv() == ""


@pytest.mark.asyncio
async def test_close_code_and_reason_relayed_from_sender(kit: RelayKit) -> None:
    seen: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()

    async def record_close(kit: RelayKit, accept: dict[str, Any]) -> None:
        async with connect(accept["address"], ssl=kit.ssl) as ws:
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
            assert info.value.rcvd is not None
            seen.set_result((info.value.rcvd.code, info.value.rcvd.reason))

    async with asyncio.timeout(20), await kit.listen() as control:
        await kit.serve(control, ws=record_close)
        sender = await kit.connect()
        await sender.close(4001, "sender says bye")
        assert await seen == (4001, "sender says bye")


@pytest.mark.asyncio
async def test_close_code_and_reason_relayed_from_listener(kit: RelayKit) -> None:
    async def close_after_one(kit: RelayKit, accept: dict[str, Any]) -> None:
        async with connect(accept["address"], ssl=kit.ssl) as ws:
            await ws.recv()
            await ws.close(4002, "listener done")

    async with asyncio.timeout(20), await kit.listen() as control:
        await kit.serve(control, ws=close_after_one)
        async with await kit.connect() as sender:
            await sender.send("one")
            with pytest.raises(ConnectionClosed) as info:
                await sender.recv()
            assert info.value.rcvd is not None
            assert (info.value.rcvd.code, info.value.rcvd.reason) == (4002, "listener done")


@pytest.mark.asyncio
async def test_accept_message_carries_address_id_headers_and_endpoint(kit: RelayKit) -> None:
    token = kit.sas()
    async with asyncio.timeout(20), await kit.listen() as control:
        task = asyncio.ensure_future(
            kit.connect(
                token=token,
                path="/sub/x",
                query="a=1&sb-hc-id=conn-42",
                headers={"X-App": "demo-app"},
            )
        )
        accept = json.loads(await control.recv())["accept"]
        address = accept["address"]
        assert address.startswith(
            f"wss://{kit.ns}/$hc/demo/sub/x?a=1&sb-hc-action=accept&sb-hc-id="
        )
        assert "sb-hc-token" not in address and "conn-42" not in address
        assert accept["id"] == "conn-42"
        headers = {k.lower(): v for k, v in accept["connectHeaders"].items()}
        assert headers["x-app"] == "demo-app"
        assert "servicebusauthorization" not in headers
        assert "sec-websocket-key" in headers
        assert token not in json.dumps(accept)
        assert accept["remoteEndpoint"]["address"] == "127.0.0.1"
        assert isinstance(accept["remoteEndpoint"]["port"], int)
        async with connect(address, ssl=kit.ssl) as rendezvous:
            sender = await task
            await sender.send("via rendezvous")
            assert await rendezvous.recv() == "via rendezvous"
            await sender.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("prefix", ["sb-hc-", ""])
async def test_listener_rejection_reaches_sender(kit: RelayKit, prefix: str) -> None:
    """§5.3; the unprefixed form is what Node's hyco-ws sends (§14 item 3)."""
    async with asyncio.timeout(20), await kit.listen() as control:
        task = asyncio.ensure_future(refused(kit.connect()))
        accept = json.loads(await control.recv())["accept"]
        reject = f"{accept['address']}&{prefix}statusCode=401&{prefix}statusDescription=Go%20away"
        assert await refused(connect(reject, ssl=kit.ssl)) == (410, "Gone")
        assert await task == (401, "Go away")


@pytest.mark.asyncio
async def test_invalid_rejection_status_is_400_for_the_listener(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        task = asyncio.ensure_future(kit.connect())
        accept = json.loads(await control.recv())["accept"]
        status, _ = await refused(connect(accept["address"] + "&sb-hc-statusCode=abc", ssl=kit.ssl))
        assert status == 400
        async with connect(accept["address"], ssl=kit.ssl):  # still usable
            sender = await task
            await sender.close()


@pytest.mark.asyncio
async def test_subprotocol_offered_and_chosen_by_listener(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        task = asyncio.ensure_future(kit.connect(subprotocols=["chat.v1", "chat.v2"]))
        accept = json.loads(await control.recv())["accept"]
        headers = {k.lower(): v for k, v in accept["connectHeaders"].items()}
        assert headers["sec-websocket-protocol"] == "chat.v1, chat.v2"
        async with connect(accept["address"], ssl=kit.ssl, subprotocols=["chat.v2"]) as ws:
            assert ws.subprotocol == "chat.v2"
            sender = await task
            assert sender.subprotocol == "chat.v2"
            await sender.close()


@pytest.mark.asyncio
async def test_missing_action_means_connect(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        await kit.serve(control)
        async with await kit.connect(action=None) as sender:
            await sender.send("no action")
            assert await sender.recv() == "no action"


@pytest.mark.asyncio
async def test_refusals_for_bad_urls(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        status, reason = await refused(kit.connect(action="bogus"))
        assert status == 400 and "sb-hc-action" in reason
        status, reason = await refused(kit.connect("nope"))
        assert status == 404 and "Endpoint does not exist" in reason and "TrackingId:" in reason
        status, _ = await refused(kit.listen("nope", token=kit.sas(entity="nope")))
        assert status == 404
        status, reason = await refused(kit.connect())
        assert status == 404 and "no listeners" in reason
        result = await kit.http("GET", "/$hc/demo?sb-hc-action=listen")
        assert result.status == 400
        assert "only for web-socket requests" in result.reason


@pytest.mark.asyncio
async def test_26th_listener_is_refused(kit: RelayKit, emulator_log: EmulatorLog) -> None:
    async with asyncio.timeout(60):
        listeners = [await kit.listen() for _ in range(25)]
        try:
            status, reason = await refused(kit.listen())
            assert status == 403
            assert "quota" in reason.lower() and "MaximumListenersPerEndpoint" in reason
            await listeners[0].close()
            await emulator_log.wait_for("listener detached")
            extra = await kit.listen()  # a slot is free again
            await extra.close()
        finally:
            for listener in listeners:
                await listener.close()


def _tagging_ws(tag: str, hits: list[str]) -> Any:
    async def handler(kit: RelayKit, accept: dict[str, Any]) -> None:
        hits.append(tag)
        await echo_ws(kit, accept)

    return handler


@pytest.mark.asyncio
async def test_two_listeners_share_the_load(kit: RelayKit) -> None:
    hits: list[str] = []
    async with asyncio.timeout(60), await kit.listen() as a, await kit.listen() as b:
        await kit.serve(a, ws=_tagging_ws("a", hits))
        await kit.serve(b, ws=_tagging_ws("b", hits))
        for _ in range(30):
            await echo_once(kit)
    assert hits.count("a") > 0 and hits.count("b") > 0
    assert len(hits) == 30


@pytest.mark.asyncio
async def test_allowed_and_disallowed_listeners(kit: RelayKit) -> None:
    hits: list[str] = []
    async with (
        asyncio.timeout(60),
        await kit.listen(listener_id="aaaa") as a,
        await kit.listen(listener_id="bbbb") as b,
    ):
        await kit.serve(a, ws=_tagging_ws("a", hits))
        await kit.serve(b, ws=_tagging_ws("b", hits))
        for _ in range(8):
            async with await kit.connect(headers={"Microsoft-Relay-AllowedListeners": "x, BBBB"}):
                pass
        assert hits == ["b"] * 8
        hits.clear()
        for _ in range(8):
            async with await kit.connect(headers={"Microsoft-Relay-DisallowedListeners": "bbbb"}):
                pass
        assert hits == ["a"] * 8
        status, reason = await refused(
            kit.connect(headers={"Microsoft-Relay-AllowedListeners": "cccc"})
        )
        assert status == 404
        assert "AllowedListeners/DisallowedListeners" in reason


@pytest.mark.asyncio
async def test_rendezvous_address_is_single_use(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        task = asyncio.ensure_future(kit.connect())
        address = json.loads(await control.recv())["accept"]["address"]
        async with connect(address, ssl=kit.ssl):
            sender = await task
            status, reason = await refused(connect(address, ssl=kit.ssl))
            assert status == 403 and "already used" in reason
            await sender.close()
        forged = address.rsplit("=", 1)[0] + "=guessed"
        status, reason = await refused(connect(forged, ssl=kit.ssl))
        assert status == 403 and "not valid" in reason


@pytest.mark.asyncio
async def test_listener_that_never_answers_and_late_rendezvous(make_emulator: Any) -> None:
    emulator = await make_emulator(rendezvous_timeout=1.0)
    kit = kit_for(emulator)
    async with asyncio.timeout(20), await kit.listen() as control:
        task = asyncio.ensure_future(refused(kit.connect()))
        address = json.loads(await control.recv())["accept"]["address"]
        status, reason = await task
        assert status == 504 and "did not accept" in reason
        status, reason = await refused(connect(address, ssl=kit.ssl))
        assert status == 403 and "expired" in reason


async def _raw_upgrade(kit: RelayKit) -> asyncio.StreamWriter:
    """Send a sender upgrade by hand and return the open stream (to drop it)."""
    host, port = kit.ns.rsplit(":", 1)
    _, writer = await asyncio.open_connection(host, int(port), ssl=kit.ssl, server_hostname=host)
    writer.write(
        (
            f"GET /$hc/demo?sb-hc-action=connect HTTP/1.1\r\nHost: {kit.ns}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"ServiceBusAuthorization: {kit.sas()}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    return writer


@pytest.mark.asyncio
async def test_invalid_websocket_handshake_is_400(kit: RelayKit) -> None:
    host, port = kit.ns.rsplit(":", 1)
    async with asyncio.timeout(20), await kit.listen("open") as control:
        await kit.serve(control)
        reader, writer = await asyncio.open_connection(host, int(port), ssl=kit.ssl)
        writer.write(
            (
                f"GET /$hc/open?sb-hc-action=connect HTTP/1.1\r\nHost: {kit.ns}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        status_line = await reader.readline()
        writer.close()
        assert status_line.startswith(b"HTTP/1.1 400 Invalid WebSocket handshake.")
        await echo_once(kit, "open", token="")


@pytest.mark.asyncio
async def test_sender_vanishing_mid_rendezvous(kit: RelayKit, emulator_log: EmulatorLog) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        writer = await _raw_upgrade(kit)
        address = json.loads(await control.recv())["accept"]["address"]
        writer.transport.abort()
        await emulator_log.wait_for("sender vanished during rendezvous")  # polled every 0.25 s
        status, reason = await refused(connect(address, ssl=kit.ssl))
        assert status == 403 and "sender disconnected" in reason
        await kit.serve(control)
        await echo_once(kit)  # the control channel is still healthy


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("garbage", "code"),
    [
        ("not json", 1002),
        ("[1, 2]", 1002),
        ('{"response": {"requestId": 5}}', 1002),
        ('{"renewToken": {}}', 1002),
        (b"\x00binary", 1003),
        ("x" * (5 * 1024 * 1024), 1009),
    ],
    ids=["text", "array", "bad-response", "bad-renew", "binary", "oversize"],
)
async def test_garbage_closes_only_that_listener(kit: RelayKit, garbage: Any, code: int) -> None:
    async with asyncio.timeout(30), await kit.listen("open") as healthy:
        await kit.serve(healthy)
        async with await kit.connect("open", token="") as sender:
            bad = await kit.listen()
            await bad.send(garbage)
            with pytest.raises(ConnectionClosed) as info:
                await bad.recv()
            assert info.value.rcvd is not None and info.value.rcvd.code == code
            assert info.value.rcvd.reason or code == 1009  # aiohttp's 1009 has no reason
            await sender.send("still here")
            assert await sender.recv() == "still here"
        await echo_once(kit, "open", token="")


@pytest.mark.asyncio
async def test_unknown_command_is_ignored(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        await control.send('{"injectFault": {"delay": "00:01:00"}}')
        await kit.serve(control)
        await echo_once(kit)


@pytest.mark.asyncio
async def test_websocket_ping_is_answered(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        pong = await control.ping(b"hi")
        await pong


@pytest.mark.asyncio
async def test_parallel_round_trips(kit: RelayKit) -> None:
    async with asyncio.timeout(60), await kit.listen() as control:
        await kit.serve(control)

        async def one(i: int) -> None:
            async with await kit.connect() as sender:
                for j in range(5):
                    await sender.send(f"{i}-{j}")
                    assert await sender.recv() == f"{i}-{j}"

        await asyncio.gather(*(one(i) for i in range(10)))


_UPGRADE = (
    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)
_RAW = {
    "root": ("GET / HTTP/1.1\r\n", 404),
    "empty-entity": ("GET /$hc/ HTTP/1.1\r\n" + _UPGRADE, 404),
    "accept-without-id": ("GET /$hc/demo?sb-hc-action=accept HTTP/1.1\r\n" + _UPGRADE, 403),
    "bad-percent-id": (
        "GET /$hc/demo?sb-hc-action=request&sb-hc-id=%ZZ HTTP/1.1\r\n" + _UPGRADE,
        403,
    ),
    "bad-percent-path": (
        "GET /$hc/demo%ZZ/%C3%28?sb-hc-action=listen HTTP/1.1\r\n" + _UPGRADE,
        404,
    ),
    "bad-percent-http": ("POST /nope/%%%?a=%% HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", 404),
    "not-http": ("GARBAGE\r\n", 400),
    "connect-method": ("CONNECT /demo HTTP/1.1\r\n", 404),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("name", sorted(_RAW))
async def test_malformed_requests_are_refused_cleanly(kit: RelayKit, name: str) -> None:
    text, status = _RAW[name]
    host, port = kit.ns.rsplit(":", 1)
    async with asyncio.timeout(20), await kit.listen("open") as control:
        await kit.serve(control)
        reader, writer = await asyncio.open_connection(host, int(port), ssl=kit.ssl)
        head, _, body = text.partition("\r\n\r\n")
        writer.write(
            f"{head.rstrip()}\r\nHost: {kit.ns}\r\n\r\n{body}".encode()
            if "HTTP/1.1" in head
            else text.encode() + b"\r\n"
        )
        status_line = await reader.readline()
        writer.close()
        assert status_line.split()[1] == str(status).encode(), status_line
        await echo_once(kit, "open", token="")


@pytest.mark.asyncio
@pytest.mark.parametrize("code", [1000, 4001])
async def test_sender_close_is_echoed_with_its_own_code(kit: RelayKit, code: int) -> None:
    """RFC 6455 §5.5.1: the close a sender starts comes back with the same code."""
    async with asyncio.timeout(20), await kit.listen() as control:
        await kit.serve(control, ws=echo_ws)
        sender = await kit.connect()
        await sender.send("ping")
        assert await sender.recv() == "ping"
        await sender.close(code, "bye")
        assert sender.protocol.close_rcvd is not None
        assert sender.protocol.close_rcvd.code == code


@pytest.mark.asyncio
@pytest.mark.parametrize("code", [1000, 4002])
async def test_listener_close_is_echoed_with_its_own_code(kit: RelayKit, code: int) -> None:
    closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def close_at_once(kit: RelayKit, accept: dict[str, Any]) -> None:
        async with connect(accept["address"], ssl=kit.ssl) as ws:
            await ws.close(code, "listener done")
            assert ws.protocol.close_rcvd is not None
            closed.set_result(ws.protocol.close_rcvd.code)

    async with asyncio.timeout(20), await kit.listen() as control:
        await kit.serve(control, ws=close_at_once)
        sender = await kit.connect()
        with pytest.raises(ConnectionClosed):
            await sender.recv()
        assert await closed == code
        assert sender.protocol.close_rcvd is not None and sender.protocol.close_rcvd.code == code


async def _until_no_rendezvous_in_flight(kit: RelayKit) -> None:
    """The sender's handler releases its address just after the pipe's last frame."""
    for _ in range(1000):
        if not kit.emulator.rendezvous_in_flight:
            return
        await asyncio.sleep(0.01)
    assert kit.emulator.rendezvous_in_flight == 0


@pytest.mark.asyncio
async def test_rendezvous_entries_last_only_while_in_flight(kit: RelayKit) -> None:
    """Every sender mints an address; once its rendezvous is over, none is kept."""
    headers = {"ServiceBusAuthorization": kit.sas()}
    async with asyncio.timeout(30), await kit.listen() as control:
        await kit.serve(control)
        async with await kit.connect() as sender:
            await sender.send("ping")
            assert await sender.recv() == "ping"
            assert kit.emulator.rendezvous_in_flight == 1  # the open pipe
        await _until_no_rendezvous_in_flight(kit)
        for size in (10, 70_000, 10):  # inline, rendezvous-only (§7.2), inline
            result = await kit.http("POST", "/demo", data=b"x" * size, headers=headers)
            assert (result.status, len(result.body)) == (200, size)
            assert kit.emulator.rendezvous_in_flight == 0
        for _ in range(20):
            await echo_once(kit)
        await _until_no_rendezvous_in_flight(kit)
