"""Token renewal (§4.6): schedule arithmetic, and a listener outliving its tokens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from relaydesk.emulator import Emulator
from relaydesk.emulator.entra import MIN_TOKEN_LIFETIME
from relaydesk.errors import TokenNotRenewable
from relaydesk.relay.events import ChannelClosed, ErrorOccurred, Event, TokenInfo, TokenRenewed
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.renewal import TokenRenewer, renewal_delay, renewal_lead
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


async def _renewals_until(listener: Listener, moment: float, log: list[Event]) -> None:
    """Read events into ``log`` until a renewal made after ``moment`` (wall clock)."""
    async for event in listener.events():
        log.append(event)
        if isinstance(event, TokenRenewed) and event.at > moment:
            return
    raise AssertionError("the event stream ended before the renewal")


@pytest.mark.asyncio
@pytest.mark.e2e
async def test_entra_listener_outlives_five_of_the_shortest_tokens(
    make_emulator: Callable[..., Awaitable[Emulator]], secret_watch: set[str]
) -> None:
    """The emulator's shortest token lifetime (1 s) is renewed in time, every
    time: no 1008, no reconnect, over five lifetimes (§4.6)."""
    lifetime = MIN_TOKEN_LIFETIME
    relay = setup_for(await make_emulator(token_lifetime=lifetime), secret_watch)
    listener = Listener(
        relay.address(),
        relay.entra("listener"),
        ssl_context=relay.ssl,
        options=ListenerOptions(auto_echo=True),
    )
    log: list[Event] = []
    async with asyncio.timeout(30):  # hang guard
        async with listener:
            first_expiry = listener.token.expires_at if listener.token else None
            assert first_expiry is not None
            await _renewals_until(listener, first_expiry + 4 * lifetime, log)
            await _echo_once(relay)
            reconnects = listener.reconnects
        log += [e async for e in listener.events()]
    assert reconnects == 0
    assert not [e for e in log if isinstance(e, ErrorOccurred)]
    assert [e.code for e in log if isinstance(e, ChannelClosed)] == [1000]
    renewed = [e for e in log if isinstance(e, TokenRenewed)]
    assert [e.renewals for e in renewed] == list(range(1, len(renewed) + 1))
    expiries = [e.token.expires_at or 0 for e in renewed]
    assert expiries == sorted(expiries) and len(set(expiries)) == len(expiries)
    assert_no_secrets(log, relay.tokens_seen)


@pytest.mark.asyncio
@pytest.mark.e2e
async def test_sas_listener_renews_with_a_fixed_lead(relay: RelaySetup) -> None:
    listener = Listener(
        relay.address(),
        relay.sas(ttl=2),
        ssl_context=relay.ssl,
        options=ListenerOptions(auto_echo=True, renew_before=1.2),
    )
    log: list[Event] = []
    async with asyncio.timeout(30), listener:
        first_expiry = listener.token.expires_at if listener.token else None
        assert first_expiry is not None
        await _renewals_until(listener, first_expiry, log)  # outlived its first token
        await _echo_once(relay)
        assert listener.reconnects == 0
        assert listener.renewals >= 2
    assert not [e for e in log if isinstance(e, ChannelClosed | ErrorOccurred)]


class _Token:
    """A token value object (the provider below is a small fake, not the relay)."""

    def __init__(self, value: str, expires_at: float) -> None:
        self._value = value
        self.expires_at = expires_at

    @property
    def value(self) -> _Token:
        return self

    def reveal(self) -> str:
        return self._value

    def info(self) -> TokenInfo:
        return TokenInfo(kind="sas", identity="unit", expires_at=self.expires_at)


class _StubbornProvider:
    """Returns the same token ``same`` times (like a cache), then a longer one."""

    def __init__(self, current: _Token, *, same: int, retry_after: float | None) -> None:
        self.current = current
        self.same = same
        self.retry_after = retry_after
        self.asked: list[tuple[float, float | None]] = []

    async def get_token(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> _Token:
        self.asked.append((min_valid_for, expires_after))
        if len(self.asked) <= self.same:
            if self.retry_after is None:
                raise TokenNotRenewable("fixed token", retry_after=None)
            return self.current  # same expiry: does not extend anything
        return _Token("fresh", self.current.expires_at + 60)


@pytest.mark.asyncio
async def test_same_expiry_is_retried_sooner_and_renewed_before_expiry() -> None:
    now = time.time()
    first = _Token("first", now + 2.0)
    provider = _StubbornProvider(first, same=3, retry_after=0.1)
    sent: list[str] = []
    events: list[Event] = []
    renewed_once = asyncio.Event()

    async def send(token: str) -> None:
        sent.append(token)
        renewed_once.set()

    renewer = TokenRenewer(provider, send_renewal=send, emit=events.append, renew_before=1.5)
    async with asyncio.timeout(10):
        task = asyncio.create_task(renewer.run(first, now))
        await renewed_once.wait()
        task.cancel()
    assert sent == ["fresh"] and time.time() < first.expires_at
    assert len(provider.asked) == 4
    # Every request asks for a token that outlives the current one (§4.6).
    assert all(after == first.expires_at and valid > 0 for valid, after in provider.asked)
    renewed = [e for e in events if isinstance(e, TokenRenewed)]
    assert [(e.renewals, e.token.expires_at) for e in renewed] == [(1, first.expires_at + 60)]
    assert renewer.expires_at == first.expires_at + 60


@pytest.mark.asyncio
async def test_a_fixed_token_is_not_renewed_and_the_renewer_gives_up() -> None:
    now = time.time()
    first = _Token("fixed", now + 1.0)
    provider = _StubbornProvider(first, same=99, retry_after=None)
    sent: list[str] = []

    async def send(token: str) -> None:
        sent.append(token)

    renewer = TokenRenewer(provider, send_renewal=send, emit=lambda e: None, renew_before=0.5)
    async with asyncio.timeout(10):
        await renewer.run(first, now)  # returns: the 1008 + reconnect path takes over
    assert sent == [] and len(provider.asked) == 1


class _FreshEachTime:
    """Every call gives a new token valid ``ttl`` seconds (like SAS signing)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.calls = 0

    async def get_token(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> _Token:
        self.calls += 1
        return _Token(f"t{self.calls}", time.time() + self.ttl)


@pytest.mark.asyncio
async def test_a_lead_longer_than_the_lifetime_does_not_spin() -> None:
    provider = _FreshEachTime(ttl=4.0)
    sent: list[str] = []

    async def send(token: str) -> None:
        sent.append(token)

    now = time.time()
    renewer = TokenRenewer(provider, send_renewal=send, emit=lambda e: None, renew_before=60)
    async with asyncio.timeout(10):
        task = asyncio.create_task(renewer.run(_Token("t0", now + 4.0), now))
        await asyncio.sleep(2.5)
        task.cancel()
    assert 1 <= len(sent) <= 3  # about one per second, not thousands
