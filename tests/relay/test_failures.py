"""Refusals surface as typed errors with a remedy (§4.2, §5.3, §6), real emulator."""

from __future__ import annotations

import asyncio

import pytest

from relaydesk.cli.exit_codes import EXIT_REFUSED, exit_code_for
from relaydesk.errors import (
    EntityNotFound,
    Forbidden,
    HandshakeFailed,
    ListenerQuotaExceeded,
    ListenerRejected,
    RelayUnreachable,
    Unauthorized,
)
from relaydesk.relay.events import ConnectionRejected, ConnectionState, ErrorOccurred, StateChanged
from relaydesk.relay.failures import (
    closed_error,
    error_info,
    handshake_error,
    is_service_error,
    without_tracking_trailer,
)
from relaydesk.relay.listener import Listener
from relaydesk.relay.policies import reject_all
from relaydesk.relay.sender import connect
from relaydesk.relay.tls import make_ssl_context
from relaydesk.remedies import remedy_for
from tests.relay.conftest import RelaySetup, assert_no_secrets

pytestmark = pytest.mark.e2e


@pytest.mark.asyncio
async def test_listener_with_wrong_key_is_unauthorized(relay: RelaySetup) -> None:
    listener = Listener(relay.address(), relay.sas(key="bm90IHRoZSBrZXk="), ssl_context=relay.ssl)
    async with asyncio.timeout(20):
        with pytest.raises(Unauthorized) as info:
            await listener.start()
        events = [e async for e in listener.events()]
    assert info.value.status == 401 and info.value.tracking_id and info.value.remedy
    assert listener.state is ConnectionState.OFFLINE
    final = events[-1]
    assert isinstance(final, StateChanged) and final.state is ConnectionState.OFFLINE
    assert final.error is not None and final.error.kind == "Unauthorized" and final.error.remedy
    assert_no_secrets((events, str(info.value), repr(info.value)), relay.tokens_seen)
    # A SAS token was refused: the remedy is about the key and rule, not Entra.
    assert "SAS key" in info.value.remedy and "audience" not in info.value.remedy
    assert final.error.remedy == info.value.remedy


@pytest.mark.asyncio
async def test_sender_and_http_sender_with_wrong_sas_key_get_the_sas_remedy(
    relay: RelaySetup,
) -> None:
    from relaydesk.relay.http_sender import http_request

    wrong = relay.sas(key="bm90IHRoZSBrZXk=")
    async with asyncio.timeout(20):
        with pytest.raises(Unauthorized) as ws_info:
            await connect(relay.address(), wrong, ssl_context=relay.ssl)
        with pytest.raises(Unauthorized) as http_info:
            await http_request(relay.address(), wrong, ssl_context=relay.ssl)
    for error in (ws_info.value, http_info.value):
        assert error.remedy == remedy_for(Unauthorized(401, ""), identity="sas")


@pytest.mark.asyncio
async def test_listener_without_listen_right_is_forbidden(relay: RelaySetup) -> None:
    listener = Listener(relay.address(), relay.sas("send-only"), ssl_context=relay.ssl)
    async with asyncio.timeout(20):
        with pytest.raises(Forbidden) as info:
            await listener.start()
    assert "Listener" in info.value.remedy


@pytest.mark.asyncio
async def test_entra_identity_without_role_is_forbidden(relay: RelaySetup) -> None:
    async with asyncio.timeout(30):
        with pytest.raises(Forbidden):
            await connect(relay.address(), relay.entra("outsider"), ssl_context=relay.ssl)


@pytest.mark.asyncio
async def test_unknown_hybrid_connection_is_not_found_for_both_sides(relay: RelaySetup) -> None:
    address = relay.address("no-such-hc")
    provider = relay.sas(entity="no-such-hc")
    async with asyncio.timeout(20):
        with pytest.raises(EntityNotFound):
            await Listener(address, provider, ssl_context=relay.ssl).start()
        with pytest.raises(EntityNotFound) as info:
            await connect(address, provider, ssl_context=relay.ssl)
    assert info.value.remedy


@pytest.mark.asyncio
async def test_404_stops_even_a_retrying_listener(relay: RelaySetup) -> None:
    from relaydesk.relay.options import ListenerOptions

    listener = Listener(
        relay.address("no-such-hc"),
        relay.sas(entity="no-such-hc"),
        ssl_context=relay.ssl,
        options=ListenerOptions(retry_first_open=True),
    )
    async with asyncio.timeout(20):
        with pytest.raises(EntityNotFound):
            await listener.start()
        events = [e async for e in listener.events()]
    assert listener.state is ConnectionState.OFFLINE
    assert any(isinstance(e, ErrorOccurred) and e.error.status == 404 for e in events)


@pytest.mark.asyncio
async def test_rejection_reaches_the_sender_as_listener_rejected(relay: RelaySetup) -> None:
    listener = Listener(
        relay.address(),
        relay.sas(),
        policy=reject_all(451, "Not today, thanks"),
        ssl_context=relay.ssl,
    )
    async with asyncio.timeout(30):
        async with listener:
            with pytest.raises(ListenerRejected) as info:
                await connect(relay.address(), relay.sas(), ssl_context=relay.ssl)
        events = [e async for e in listener.events()]
    assert info.value.status == 451 and info.value.reason == "Not today, thanks"
    assert info.value.remedy
    rejected = [e for e in events if isinstance(e, ConnectionRejected)]
    assert [(e.status, e.reason) for e in rejected] == [(451, "Not today, thanks")]


@pytest.mark.asyncio
async def test_no_listener_for_websocket_sender(relay: RelaySetup) -> None:
    async with asyncio.timeout(20):
        with pytest.raises(HandshakeFailed) as info:
            await connect(relay.address(), relay.sas(), ssl_context=relay.ssl)
    assert not isinstance(info.value, ListenerRejected)
    assert info.value.tracking_id and info.value.remedy


@pytest.mark.asyncio
async def test_26th_listener_is_refused_clearly(relay: RelaySetup) -> None:
    listeners = [Listener(relay.address(), relay.sas(), ssl_context=relay.ssl) for _ in range(25)]
    async with asyncio.timeout(60):
        try:
            await asyncio.gather(*(lst.start() for lst in listeners))
            with pytest.raises(ListenerQuotaExceeded) as info:
                await Listener(relay.address(), relay.sas(), ssl_context=relay.ssl).start()
        finally:
            await asyncio.gather(*(lst.stop() for lst in listeners))
    assert "25" in str(info.value) and info.value.tracking_id
    # The quota, not a missing right: no role to grant, and the CLI's "refused" code.
    assert not isinstance(info.value, Forbidden)
    assert "25 listeners" in info.value.remedy and "role" not in info.value.remedy
    assert exit_code_for(info.value) == EXIT_REFUSED


@pytest.mark.asyncio
async def test_untrusted_certificate_is_unreachable_with_remedy(relay: RelaySetup) -> None:
    system_only = make_ssl_context()
    async with asyncio.timeout(20):
        with pytest.raises(RelayUnreachable) as info:
            await connect(relay.address(), relay.sas(), ssl_context=system_only)
    assert "not trusted" in str(info.value)
    assert "CA" in error_info(info.value).remedy


@pytest.mark.asyncio
async def test_closed_port_is_unreachable(relay: RelaySetup) -> None:
    from relaydesk.protocol.address import HybridConnectionAddress

    address = HybridConnectionAddress.parse("sb://127.0.0.1:9/demo")
    async with asyncio.timeout(20):
        with pytest.raises(RelayUnreachable) as info:
            await Listener(address, relay.sas(), ssl_context=relay.ssl).start()
    assert "127.0.0.1:9" in str(info.value)


def test_close_codes_explain_themselves() -> None:
    assert "token expired" in str(closed_error(1008, "Token expired TrackingId:abc"))
    assert closed_error(None).code == 1006
    info = error_info(closed_error(1008, "x TrackingId:abc_G1, SystemTracker:y"))
    assert info.status == 1008 and info.tracking_id == "abc_G1" and info.remedy


def test_service_and_listener_refusals_are_told_apart() -> None:
    service_reason = "Unauthorized TrackingId:1234_G0, SystemTracker:ns:demo"
    assert is_service_error(401, service_reason, b"")
    assert not is_service_error(401, "custom listener text", b"")
    body = b'{"error":{"code":"GatewayTimeout","message":"slow TrackingId:9_G0"}}'
    assert is_service_error(504, "Gateway Timeout", body, {"Via": "1.1 ns"})
    assert not is_service_error(500, "Internal", b'{"error":{"code":"x"}}', {"Via": "1.1 ns"})
    assert isinstance(handshake_error(401, "custom"), ListenerRejected)
    assert isinstance(handshake_error(401, service_reason), Unauthorized)
    assert handshake_error(401, service_reason).tracking_id == "1234_G0"


def test_error_info_hides_foreign_exception_text() -> None:
    info = error_info(RuntimeError("sig=abcdefghijklmnop"))
    assert info.kind == "RuntimeError" and "sig" not in info.message


SERVICE_TEXT = (
    "Unauthorized access. 'Listen' claim(s) are required to perform this operation."
    " TrackingId:9f3c2a_G12, SystemTracker:sb://ns.servicebus.windows.net/hc,"
    " Timestamp:11/28/2026 10:00:00 PM"
)


def test_the_service_trailer_is_dropped_when_the_tracking_id_is_shown_apart() -> None:
    assert without_tracking_trailer(SERVICE_TEXT, "9f3c2a_G12") == (
        "Unauthorized access. 'Listen' claim(s) are required to perform this operation."
    )


def test_text_without_that_tracking_id_is_left_alone() -> None:
    assert without_tracking_trailer(SERVICE_TEXT, None) == SERVICE_TEXT
    assert without_tracking_trailer(SERVICE_TEXT, "other") == SERVICE_TEXT
    assert without_tracking_trailer("listener said no", "trk") == "listener said no"
    # Only a trailer: nothing else to show, so keep the text rather than nothing.
    assert without_tracking_trailer("TrackingId:trk", "trk") == "TrackingId:trk"
