"""Authentication and authorization on the relay (§3, §4.2, §4.6, §9.4, §10)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import jwt
import pytest
from websockets.exceptions import ConnectionClosed

from relaydesk.emulator.jwt_tokens import issue_token_for
from relaydesk.protocol.sas import build_sas_token
from tests.emulator.conftest import RelayKit, kit_for
from tests.emulator.test_hc_endpoint import echo_once, refused

pytestmark = pytest.mark.e2e


def _expired(kit: RelayKit) -> str:
    return build_sas_token(
        f"http://{kit.ns}/demo",
        "RootManageSharedAccessKey",
        kit.key(),
        expires_at=int(time.time()) - 10,
    )


def _bad_tokens(kit: RelayKit) -> dict[str, str]:
    good = kit.sas()
    return {
        "malformed": "SharedAccessSignature garbage",
        "not-a-token": "hello world",
        "expired": _expired(kit),
        "wrong-signature": kit.sas(key="not-the-key"),
        "wrong-audience": build_sas_token(
            "http://other.example/demo",
            "RootManageSharedAccessKey",
            kit.key(),
            expires_at=int(time.time()) + 600,
        ),
        "wrong-entity": kit.sas(entity="open"),
        "bearer": "Bearer " + good,
        "huge": "x" * 20_000,
    }


@pytest.mark.asyncio
async def test_listener_401_for_missing_and_invalid_tokens(kit: RelayKit) -> None:
    async with asyncio.timeout(30):
        status, reason = await refused(kit.listen(token=""))
        assert status == 401 and "TrackingId:" in reason
        for name, token in _bad_tokens(kit).items():
            status, reason = await refused(kit.listen(token=token))
            assert status == 401, name
            assert "TrackingId:" in reason, name
            assert kit.key() not in reason


@pytest.mark.asyncio
async def test_sender_401_for_missing_and_invalid_tokens(kit: RelayKit) -> None:
    async with asyncio.timeout(30), await kit.listen() as control:
        await kit.serve(control)
        status, _ = await refused(kit.connect(token=""))
        assert status == 401
        for name, token in _bad_tokens(kit).items():
            status, _ = await refused(kit.connect(token=token))
            assert status == 401, name
        await echo_once(kit)  # the listener is undisturbed


@pytest.mark.asyncio
async def test_expired_entra_token_is_401(make_emulator: Any) -> None:
    """With no leeway a token is refused from its ``exp`` on (§4.2): the
    emulator's shortest token, waited out (no sleep past a leeway)."""
    emulator = await make_emulator(token_lifetime=1, token_leeway=0)
    kit = kit_for(emulator)
    token = await kit.entra_token("listener")
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(0.0, expires_at - time.time()))  # ≤ 2 s: the token's own life
    async with asyncio.timeout(20):
        status, reason = await refused(kit.listen(token=token))
        assert status == 401 and "expired" in reason.lower()


@pytest.mark.asyncio
@pytest.mark.parametrize(("leeway", "accepted"), [(0.0, False), (30.0, True)])
async def test_the_validator_leeway_is_an_emulator_option(
    make_emulator: Any, leeway: float, accepted: bool
) -> None:
    """A token that expired 10 s ago passes the handshake only within
    ``token_leeway``; the channel then ends at once, its token being past
    expiry (+ grace), with 1008 (§4.3)."""
    emulator = await make_emulator(token_leeway=leeway)
    kit = kit_for(emulator)
    token = issue_token_for(emulator.world, "listener", now=time.time() - 11, lifetime=1)
    async with asyncio.timeout(20):
        if accepted:
            async with await kit.listen(token=token) as control:
                with pytest.raises(ConnectionClosed) as info:
                    await control.recv()
            assert info.value.rcvd is not None and info.value.rcvd.code == 1008
        else:
            status, reason = await refused(kit.listen(token=token))
            assert status == 401 and "expired" in reason.lower()


@pytest.mark.asyncio
async def test_403_for_missing_rights(kit: RelayKit) -> None:
    async with asyncio.timeout(30):
        outsider = await kit.entra_token("outsider")
        assert (await refused(kit.listen(token=outsider)))[0] == 403
        sender_identity = await kit.entra_token("sender")
        assert (await refused(kit.listen(token=sender_identity)))[0] == 403
        assert (await refused(kit.listen(token=kit.sas("send-only"))))[0] == 403
        async with await kit.listen() as control:
            await kit.serve(control)
            assert (await refused(kit.connect(token=kit.sas("listen-only"))))[0] == 403
            assert (await refused(kit.connect(token=outsider)))[0] == 403
            result = await kit.http(
                "POST",
                "/demo",
                data=b"x",
                headers={"ServiceBusAuthorization": kit.sas("listen-only")},
            )
            assert result.status == 403


@pytest.mark.asyncio
async def test_anonymous_senders_only_on_open(kit: RelayKit) -> None:
    async with asyncio.timeout(30):
        status, _ = await refused(kit.listen("open", token=""))
        assert status == 401  # listeners always need a token (§4.1)
        async with await kit.listen("open") as control, await kit.listen() as demo:
            await kit.serve(control)
            await kit.serve(demo)
            await echo_once(kit, "open", token="")
            await echo_once(kit, "open", token="garbage is not evaluated")
            assert (await refused(kit.connect("demo", token="")))[0] == 401
            assert (await kit.http("GET", "/open/x")).status == 200
            assert (await kit.http("GET", "/demo/x")).status == 401


@pytest.mark.asyncio
async def test_renew_token_keeps_the_channel(make_emulator: Any) -> None:
    emulator = await make_emulator()
    kit = kit_for(emulator)
    first_expiry = int(time.time() + 3)  # what kit.sas(ttl=3) signs
    async with asyncio.timeout(30), await kit.listen(token=kit.sas(ttl=3)) as control:
        await control.send(json.dumps({"renewToken": {"token": kit.sas(ttl=3600)}}))
        entra = await kit.entra_token("listener")
        await control.send(json.dumps({"renewToken": {"token": entra}}))
        # Past the first token's expiry (and the emulator's whole-second rounding).
        await asyncio.sleep(max(0.0, first_expiry + 1.2 - time.time()))
        await kit.serve(control)
        await echo_once(kit)
    await kit.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("which", ["garbage", "expired", "send-only"])
async def test_invalid_renew_token_closes_with_1008(kit: RelayKit, which: str) -> None:
    token = {"garbage": "nope", "expired": _expired(kit), "send-only": kit.sas("send-only")}[which]
    async with asyncio.timeout(20), await kit.listen() as control:
        await control.send(json.dumps({"renewToken": {"token": token}}))
        with pytest.raises(ConnectionClosed) as info:
            await control.recv()
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1008
        assert token not in info.value.rcvd.reason


@pytest.mark.asyncio
async def test_token_expiry_closes_with_1008(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen(token=kit.sas(ttl=2)) as control:
        with pytest.raises(ConnectionClosed) as info:
            await control.recv()  # bounded by the 20 s hang guard: the expiry closes it
        assert info.value.rcvd is not None and info.value.rcvd.code == 1008
        assert "expired" in info.value.rcvd.reason


@pytest.mark.asyncio
async def test_renewed_shorter_token_expiry_closes_with_1008(kit: RelayKit) -> None:
    async with asyncio.timeout(20), await kit.listen(token=kit.sas(ttl=600)) as control:
        await control.send(json.dumps({"renewToken": {"token": kit.sas(ttl=2)}}))
        with pytest.raises(ConnectionClosed) as info:
            await control.recv()
        assert info.value.rcvd is not None and info.value.rcvd.code == 1008
        assert "expired" in info.value.rcvd.reason


@pytest.mark.asyncio
async def test_token_expiry_grace(make_emulator: Any) -> None:
    emulator = await make_emulator(token_expiry_grace=2.0)
    kit = kit_for(emulator)
    async with asyncio.timeout(20), await kit.listen(token=kit.sas(ttl=1)) as control:
        await asyncio.sleep(1.5)  # expired, but within grace
        await kit.serve(control)
        await echo_once(kit)
        await control.wait_closed()  # the grace runs out (hang guard: the 20 s above)
        assert control.close_code == 1008
    await kit.close()
