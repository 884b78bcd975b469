"""Token renewal (§4.6): schedule arithmetic, and a listener outliving its tokens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from relaydesk.emulator import Emulator
from relaydesk.relay.events import ChannelClosed, Event, TokenRenewed
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.renewal import renewal_delay, renewal_lead
from relaydesk.relay.sender import connect
from tests.relay.conftest import RelaySetup, assert_no_secrets, setup_for


def test_lead_is_five_minutes_or_half_the_lifetime() -> None:
    assert renewal_lead(3600) == 300
    assert renewal_lead(400) == 200
    assert renewal_lead(6) == 3
    assert renewal_lead(3600, renew_before=10) == 10


def test_delay_counts_from_now_and_never_goes_negative() -> None:
    assert renewal_delay(expires_at=1000, obtained_at=0, now=100) == 600
    assert renewal_delay(expires_at=1000, obtained_at=994, now=995) == 2
    assert renewal_delay(expires_at=1000, obtained_at=0, now=999) == 0


async def _echo_once(relay: RelaySetup) -> None:
    async with await connect(relay.address(), relay.sas(), ssl_context=relay.ssl) as sender:
        await sender.send("still here")
        assert await sender.receive() == "still here"


@pytest.mark.asyncio
@pytest.mark.e2e
@pytest.mark.slow
async def test_entra_listener_outlives_three_token_lifetimes(
    make_emulator: Callable[..., Awaitable[Emulator]], secret_watch: set[str]
) -> None:
    lifetime = 6.0
    relay = setup_for(await make_emulator(token_lifetime=lifetime), secret_watch)
    listener = Listener(
        relay.address(),
        relay.entra("listener"),
        ssl_context=relay.ssl,
        options=ListenerOptions(auto_echo=True),
    )
    async with asyncio.timeout(60):
        async with listener:
            started = time.time()
            await _echo_once(relay)
            await asyncio.sleep(3.2 * lifetime - (time.time() - started))
            await _echo_once(relay)
            expires_at = listener.token_expires_at
            renewals, reconnects = listener.renewals, listener.reconnects
        events: list[Event] = [e async for e in listener.events()]
    assert reconnects == 0
    assert renewals >= 3
    assert expires_at is not None and expires_at > started + 3 * lifetime
    renewed = [e for e in events if isinstance(e, TokenRenewed)]
    assert [e.renewals for e in renewed] == list(range(1, len(renewed) + 1))
    expiries = [e.token.expires_at or 0 for e in renewed]
    assert expiries == sorted(expiries) and len(set(expiries)) == len(expiries)
    assert [e.code for e in events if isinstance(e, ChannelClosed)] == [1000]
    assert_no_secrets(events, relay.tokens_seen)


@pytest.mark.asyncio
@pytest.mark.e2e
async def test_sas_listener_renews_with_a_fixed_lead(relay: RelaySetup) -> None:
    listener = Listener(
        relay.address(),
        relay.sas(ttl=4),
        ssl_context=relay.ssl,
        options=ListenerOptions(auto_echo=True, renew_before=2.5),
    )
    async with asyncio.timeout(30), listener:
        await asyncio.sleep(9)
        await _echo_once(relay)
        assert listener.reconnects == 0
        assert listener.renewals >= 2
