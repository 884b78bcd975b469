"""HTTP senders through the emulator (§3, §7) with a hand-written listener."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.emulator.conftest import RelayKit, kit_for, send_response

pytestmark = pytest.mark.e2e


class Recorder:
    """A listener HTTP handler that records what it got and echoes the body."""

    def __init__(
        self,
        status: int = 200,
        description: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> None:
        self.requests: list[dict[str, Any]] = []
        self.bodies: list[bytes | None] = []
        self.status, self.description = status, description
        self.headers, self.body = headers or {}, body

    async def __call__(
        self, kit: RelayKit, control: ClientConnection, request: dict[str, Any], body: bytes | None
    ) -> None:
        target: ClientConnection = control
        rendezvous = None
        if "method" not in request:
            rendezvous = await connect(request["address"], ssl=kit.ssl, max_size=None)
            request = json.loads(await rendezvous.recv())["request"]
            body = await rendezvous.recv() if request["body"] else None
            target = rendezvous
        self.requests.append(request)
        self.bodies.append(body)
        reply = self.body if self.body is not None else (body or b"")
        if rendezvous is None and len(reply) > 65536:  # large responses via rendezvous (§7.3)
            rendezvous = await connect(request["address"], ssl=kit.ssl, max_size=None)
            target = rendezvous
        await send_response(
            target, request["id"], self.status, reply, self.headers, self.description
        )
        if rendezvous is not None:
            await rendezvous.close()


async def serving(kit: RelayKit, recorder: Recorder, entity: str = "demo") -> ClientConnection:
    control = await kit.listen(entity)
    await kit.serve(control, http=recorder)
    return control


def auth(kit: RelayKit, entity: str = "demo") -> dict[str, str]:
    return {"ServiceBusAuthorization": kit.sas(entity=entity)}


@pytest.mark.asyncio
async def test_inline_round_trip_and_request_fields(kit: RelayKit) -> None:
    recorder = Recorder(status=201, description="Made It", headers={"X-Reply": "yes"})
    headers = {**auth(kit), "X-Custom": "1", "Authorization": "Bearer app-level"}
    async with asyncio.timeout(20), await serving(kit, recorder):
        result = await kit.http(
            "POST", "/demo/sub/x?a=1&sb-hc-id=zz&b", data=b"hello", headers=headers
        )
    assert (result.status, result.reason, result.body) == (201, "Made It", b"hello")
    assert result.headers["X-Reply"] == "yes"
    assert kit.ns in result.headers["Via"]
    request = recorder.requests[0]
    assert request["method"] == "POST"
    assert request["requestTarget"] == "/demo/sub/x?a=1&b"
    assert request["body"] is True and recorder.bodies[0] == b"hello"
    assert request["id"] and request["address"].startswith(f"wss://{kit.ns}/$hc/demo/sub/x?")
    sent = {k.lower(): v for k, v in request["requestHeaders"].items()}
    assert sent["x-custom"] == "1"
    assert sent["authorization"] == "Bearer app-level"  # §3 rule 3: forwarded untouched
    assert "servicebusauthorization" not in sent
    assert "content-length" not in sent and "connection" not in sent
    assert sent["host"] == kit.ns
    assert kit.ns in sent["via"]
    assert request["remoteEndpoint"]["address"] == "127.0.0.1"


@pytest.mark.asyncio
async def test_token_in_query_or_authorization_is_removed(kit: RelayKit) -> None:
    recorder = Recorder()
    token = kit.sas()
    async with asyncio.timeout(20), await serving(kit, recorder):
        quoted = __import__("urllib.parse").parse.quote(token, safe="")
        first = await kit.http("GET", f"/demo?x=1&sb-hc-token={quoted}")
        second = await kit.http("GET", "/demo", headers={"Authorization": token})
    assert (first.status, second.status) == (200, 200)
    assert recorder.requests[0]["requestTarget"] == "/demo?x=1"
    assert "sb-hc-token" not in json.dumps(recorder.requests[0])
    headers = {k.lower() for k in recorder.requests[1]["requestHeaders"]}
    assert "authorization" not in headers
    assert recorder.requests[1]["body"] is False


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD"])
async def test_methods(kit: RelayKit, method: str) -> None:
    recorder = Recorder(body=b"payload")
    async with asyncio.timeout(20), await serving(kit, recorder):
        result = await kit.http(method, "/demo/m", headers=auth(kit))
    assert result.status == 200
    assert recorder.requests[0]["method"] == method
    assert result.body == (b"" if method == "HEAD" else b"payload")


@pytest.mark.asyncio
async def test_large_request_goes_rendezvous_only(kit: RelayKit) -> None:
    body = os.urandom(200_000)
    recorder = Recorder()
    async with asyncio.timeout(30), await kit.listen() as control:
        commands: list[dict[str, Any]] = []

        async def spy() -> None:
            raw = await control.recv()
            commands.append(json.loads(raw))
            await recorder(kit, control, commands[0]["request"], None)

        task = asyncio.ensure_future(spy())
        result = await kit.http("POST", "/demo/big", data=body, headers=auth(kit))
        await task
    assert commands[0] == {"request": {"address": commands[0]["request"]["address"]}}
    assert result.status == 200 and result.body == body
    assert recorder.bodies[0] == body


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [0, 100, 65536, 65537])
async def test_inline_threshold(kit: RelayKit, size: int) -> None:
    recorder = Recorder()
    body = os.urandom(size)
    async with asyncio.timeout(30), await kit.listen() as control:
        task = asyncio.ensure_future(kit.http("POST", "/demo", data=body, headers=auth(kit)))
        request = json.loads(await control.recv())["request"]
        assert ("method" in request) is (size <= 65536)
        inline_body = await control.recv() if request.get("body") else None
        await recorder(kit, control, request, inline_body)
        result = await task
    assert result.status == 200 and result.body == body


@pytest.mark.asyncio
async def test_chunked_request_goes_rendezvous_only(kit: RelayKit) -> None:
    recorder = Recorder()
    async with asyncio.timeout(30), await kit.listen() as control:
        task = asyncio.ensure_future(
            kit.http("POST", "/demo", data=b"small but chunked", headers=auth(kit), chunked=True)
        )
        request = json.loads(await control.recv())["request"]
        assert set(request) == {"address"}
        await recorder(kit, control, request, None)
        result = await task
    assert result.body == b"small but chunked"


@pytest.mark.asyncio
async def test_large_response_via_rendezvous(kit: RelayKit) -> None:
    big = os.urandom(300_000)
    recorder = Recorder(body=big, headers={"Content-Type": "application/x-test"})
    async with asyncio.timeout(30), await serving(kit, recorder):
        result = await kit.http("GET", "/demo/file", headers=auth(kit))
    assert result.status == 200 and result.body == big
    assert result.headers["Content-Type"] == "application/x-test"


@pytest.mark.asyncio
@pytest.mark.parametrize(("status", "description"), [(418, "Teapot"), (502, None), (504, "Slow")])
async def test_listener_status_passes_through(
    kit: RelayKit, status: int, description: str | None
) -> None:
    recorder = Recorder(status=status, description=description)
    async with asyncio.timeout(20), await serving(kit, recorder):
        result = await kit.http("GET", "/demo", headers=auth(kit))
    assert result.status == status
    if description:
        assert result.reason == description
    assert "Via" in result.headers


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [100, 101, 199])
async def test_listener_1xx_status_is_502(kit: RelayKit, status: int) -> None:
    recorder = Recorder(status=status, description=None)
    async with asyncio.timeout(20), await serving(kit, recorder):
        result = await kit.http("GET", "/demo", headers=auth(kit))
    assert "invalid status code" in _error(result, 502, "BadGateway")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "headers",
    [{"X-Bad": "a\r\nInjected: 1"}, {"Bad Name": "v"}, {"X-Nul": "\x00"}, {"": "v"}],
)
async def test_listener_header_that_would_corrupt_the_response_is_502(
    kit: RelayKit, headers: dict[str, str]
) -> None:
    """aiohttp dropped the sender's connection (or wrote a broken head) instead."""
    recorder = Recorder(headers=headers)
    async with asyncio.timeout(20), await serving(kit, recorder):
        for _ in range(2):  # the channel survives: the second request is answered too
            result = await kit.http("GET", "/demo", headers=auth(kit))
            assert "invalid" in _error(result, 502, "BadGateway")
    assert len(recorder.requests) == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body", [gzip.compress(b"hello", mtime=0), b"not gzip at all"], ids=["gzip", "not-gzip"]
)
async def test_a_content_encoded_body_reaches_the_listener_as_sent(
    kit: RelayKit, body: bytes
) -> None:
    """The relay forwards bodies, it does not decode them (§7.2); a bad one was a 500."""
    recorder = Recorder()
    headers = {**auth(kit), "Content-Encoding": "gzip", "Content-Type": "text/plain"}
    async with asyncio.timeout(20), await serving(kit, recorder):
        result = await kit.http("POST", "/demo", data=body, headers=headers)
    assert result.status == 200 and recorder.bodies == [body]
    sent = {k.lower(): v for k, v in recorder.requests[0]["requestHeaders"].items()}
    assert sent["content-encoding"] == "gzip"


def _error(result: Any, status: int, code: str) -> str:
    assert result.status == status
    error = result.json()["error"]
    assert error["code"] == code
    assert "TrackingId:" in error["message"] and "_G0" in error["message"]
    assert "Timestamp:" in error["message"]
    assert result.reason in error["message"] or error["message"].startswith(result.reason[:40])
    return str(error["message"])


@pytest.mark.asyncio
async def test_service_errors_502_404_401(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        _error(await kit.http("GET", "/demo", headers=auth(kit)), 502, "NoListener")
        _error(await kit.http("GET", "/nope/x", headers=auth(kit)), 404, "EndpointNotFound")
        message = _error(await kit.http("GET", "/demo"), 401, "TokenMissingOrInvalid")
        assert "missing" in message
        bad = await kit.http("GET", "/demo", headers={"ServiceBusAuthorization": "junk"})
        assert bad.status == 401 and "Via" in bad.headers


@pytest.mark.asyncio
async def test_504_when_listener_does_not_answer(make_emulator: Any) -> None:
    emulator = await make_emulator(http_response_timeout=1.0)
    kit = kit_for(emulator)

    async def silent(*_: Any) -> None:
        return None

    async with asyncio.timeout(20), await kit.listen() as control:
        await kit.serve(control, http=silent)
        result = await kit.http("GET", "/demo", headers=auth(kit))
        message = _error(result, 504, "GatewayTimeout")
        assert "did not respond in the required time" in message
    await kit.close()


@pytest.mark.asyncio
async def test_502_when_listener_leaves_with_a_pending_request(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        control = await kit.listen()
        task = asyncio.ensure_future(kit.http("GET", "/demo", headers=auth(kit)))
        await control.recv()
        await control.close()
        _error(await task, 502, "ListenerGone")


@pytest.mark.asyncio
async def test_late_response_is_ignored_and_channel_survives(make_emulator: Any) -> None:
    emulator = await make_emulator(http_response_timeout=1.0)
    kit = kit_for(emulator)
    async with asyncio.timeout(20), await kit.listen() as control:
        task = asyncio.ensure_future(kit.http("GET", "/demo", headers=auth(kit)))
        request = json.loads(await control.recv())["request"]
        assert (await task).status == 504
        await send_response(control, request["id"], 200, b"too late")
        await send_response(control, "never-issued", 200, b"")
        recorder = Recorder(body=b"fresh")
        await kit.serve(control, http=recorder)
        assert (await kit.http("GET", "/demo", headers=auth(kit))).body == b"fresh"
    await kit.close()


@pytest.mark.asyncio
async def test_listener_can_answer_inline_request_over_rendezvous(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen() as control:
        task = asyncio.ensure_future(kit.http("PUT", "/demo", data=b"abc", headers=auth(kit)))
        request = json.loads(await control.recv())["request"]
        assert await control.recv() == b"abc"
        async with connect(request["address"], ssl=kit.ssl) as rendezvous:
            await send_response(rendezvous, request["id"], 202, b"accepted", description="Later")
            result = await task
            with pytest.raises(Exception):  # noqa: B017 - closed by the service after the response
                await asyncio.wait_for(rendezvous.recv(), 5)
            assert rendezvous.close_code == 1000
    assert (result.status, result.reason, result.body) == (202, "Later", b"accepted")


@pytest.mark.asyncio
async def test_invalid_response_on_rendezvous_is_502(make_emulator: Any) -> None:
    emulator = await make_emulator(http_response_timeout=2.0)
    kit = kit_for(emulator)
    async with asyncio.timeout(20), await kit.listen() as control:
        task = asyncio.ensure_future(kit.http("GET", "/demo", headers=auth(kit)))
        request = json.loads(await control.recv())["request"]
        async with connect(request["address"], ssl=kit.ssl) as rendezvous:
            await rendezvous.send("this is not json")
            with pytest.raises(Exception):  # noqa: B017
                await asyncio.wait_for(rendezvous.recv(), 5)
            assert rendezvous.close_code == 1002
        assert (await task).status == 502
    await kit.close()


@pytest.mark.asyncio
async def test_allowed_listeners_on_http(kit: RelayKit) -> None:
    first, second = Recorder(body=b"first"), Recorder(body=b"second")
    async with (
        asyncio.timeout(30),
        await kit.listen(listener_id="l-one") as one,
        await kit.listen(listener_id="l-two") as two,
    ):
        await kit.serve(one, http=first)
        await kit.serve(two, http=second)
        pinned = {**auth(kit), "Microsoft-Relay-AllowedListeners": "l-two"}
        for _ in range(6):
            assert (await kit.http("GET", "/demo", headers=pinned)).body == b"second"
        banned = {**auth(kit), "Microsoft-Relay-DisallowedListeners": "l-two,l-one"}
        message = _error(await kit.http("GET", "/demo", headers=banned), 404, "EndpointNotFound")
        assert "AllowedListeners/DisallowedListeners" in message


@pytest.mark.asyncio
async def test_body_over_the_listeners_limit_is_413_at_once(make_emulator: Any) -> None:
    """A listener closing its rendezvous with 1009 gets the sender a 413, not a 504 (§7.4)."""
    emulator = await make_emulator(http_response_timeout=120.0)
    kit = kit_for(emulator)
    closes: list[int | None] = []

    async def small_limit(
        kit: RelayKit, _: ClientConnection, request: dict[str, Any], __: Any
    ) -> None:
        async with connect(request["address"], ssl=kit.ssl, max_size=100_000) as rendezvous:
            await rendezvous.recv()  # the request
            with pytest.raises(Exception):  # noqa: B017 - websockets' ConnectionClosedError
                await rendezvous.recv()  # the body: over the limit, closed with 1009
            closes.append(rendezvous.protocol.close_sent and rendezvous.protocol.close_sent.code)

    async with asyncio.timeout(20), await kit.listen() as control:
        await kit.serve(control, http=small_limit)
        result = await kit.http("POST", "/demo", data=os.urandom(200_000), headers=auth(kit))
        message = _error(result, 413, "PayloadTooLarge")
    assert "too large" in message and "100000" in message
    assert closes == [1009]
    await kit.close()


@pytest.mark.asyncio
async def test_body_over_the_relays_limit_is_a_service_413(
    make_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relaydesk.emulator import server

    monkeypatch.setattr(server, "MAX_REQUEST_BODY", 100_000)
    kit = kit_for(await make_emulator())
    async with asyncio.timeout(20), await kit.listen() as control:
        await kit.serve(control, http=Recorder())
        result = await kit.http("POST", "/demo", data=os.urandom(200_000), headers=auth(kit))
        message = _error(result, 413, "PayloadTooLarge")
    assert "100000 bytes" in message
    await kit.close()
