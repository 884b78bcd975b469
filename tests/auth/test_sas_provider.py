"""SAS providers: tokens verify like the service verifies them (§9.4); renewal rules."""

from __future__ import annotations

import pytest

from relaydesk.auth.provider import TokenProvider
from relaydesk.auth.sas_provider import (
    DEFAULT_SAS_TTL,
    SasTokenProvider,
    StaticSasTokenProvider,
    sas_provider_from_connection_string,
)
from relaydesk.errors import InvalidField, InvalidTokenFormat, TokenNotRenewable, TokenRejected
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.connection_string import parse_connection_string
from relaydesk.protocol.sas import build_sas_token, verify_sas_token
from relaydesk.secrets import Secret

from .conftest import FakeClock

KEY = "k3y+/With=Chars="
ADDRESS = HybridConnectionAddress.parse("sb://ns.servicebus.windows.net/demo")


def _keys(name: str) -> list[str]:
    return [KEY] if name == "listen-only" else []


def _provider(clock: FakeClock, **kwargs: float) -> SasTokenProvider:
    return SasTokenProvider(ADDRESS, "listen-only", Secret(KEY), clock=clock, **kwargs)


@pytest.mark.asyncio
async def test_token_verifies_with_the_service_algorithm(clock: FakeClock) -> None:
    provider = _provider(clock)
    assert isinstance(provider, TokenProvider)
    token = await provider.get_token()
    parsed = verify_sas_token(
        token.value.reveal(),
        keys=_keys,
        namespace_host="ns.servicebus.windows.net",
        entity_path="demo",
        now=clock.now,
    )
    assert parsed.resource_uri == ADDRESS.sas_resource_uri()
    assert token.expires_at == clock.now + DEFAULT_SAS_TTL
    assert token.kind == "sas" and token.identity == "listen-only" and not token.from_cache
    assert token.claims["skn"] == "listen-only"
    assert token.claims["sr"] == "http://ns.servicebus.windows.net/demo"
    assert KEY not in repr(provider) and KEY not in provider.describe()


@pytest.mark.asyncio
async def test_wrong_key_is_rejected_by_the_verifier(clock: FakeClock) -> None:
    provider = SasTokenProvider(ADDRESS, "listen-only", Secret("other-key"), clock=clock)
    token = await provider.get_token()
    with pytest.raises(TokenRejected) as info:
        verify_sas_token(
            token.value.reveal(),
            keys=_keys,
            namespace_host="ns.servicebus.windows.net",
            entity_path="demo",
            now=clock.now,
        )
    assert info.value.code == "InvalidSignature"


@pytest.mark.asyncio
async def test_current_token_is_reused_until_the_refresh_margin(clock: FakeClock) -> None:
    provider = _provider(clock, ttl=3600, refresh_margin=300)
    first = await provider.get_token()
    clock.advance(3600 - 301)
    again = await provider.get_token()
    assert again.from_cache and again.value == first.value
    clock.advance(2)  # now less than 300 s left
    fresh = await provider.get_token()
    assert not fresh.from_cache and fresh.expires_at == clock.now + 3600


@pytest.mark.asyncio
async def test_min_valid_for_forces_a_longer_token(clock: FakeClock) -> None:
    provider = _provider(clock, ttl=600, refresh_margin=60)
    first = await provider.get_token()
    clock.advance(100)
    # 500 s left; asking for 550 s signs a new token.
    renewed = await provider.get_token(min_valid_for=550)
    assert not renewed.from_cache
    assert renewed.remaining(clock.now) >= 550
    assert renewed.expires_at > first.expires_at
    # Asking for more than the TTL still succeeds: a signer can pick any expiry.
    long = await provider.get_token(min_valid_for=7200)
    assert long.remaining(clock.now) >= 7200


@pytest.mark.asyncio
async def test_expires_after_always_gets_a_later_token(clock: FakeClock) -> None:
    provider = _provider(clock)
    first = await provider.get_token()
    later = await provider.get_token(expires_after=first.expires_at)
    assert later.expires_at > first.expires_at
    assert not later.from_cache
    verify_sas_token(
        later.value.reveal(),
        keys=_keys,
        namespace_host="ns.servicebus.windows.net",
        entity_path="demo",
        now=clock.now,
    )


@pytest.mark.parametrize(
    ("key_name", "key", "ttl", "field"),
    [("", KEY, 60, "sas_key_name"), ("rule", "", 60, "sas_key"), ("rule", KEY, 0, "ttl")],
)
def test_invalid_arguments(key_name: str, key: str, ttl: float, field: str) -> None:
    with pytest.raises(InvalidField) as info:
        SasTokenProvider(ADDRESS, key_name, Secret(key), ttl=ttl)
    assert info.value.field == field


@pytest.mark.asyncio
async def test_from_connection_string_signs_for_the_entity(clock: FakeClock) -> None:
    text = (
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=listen-only;"
        f"SharedAccessKey={KEY};EntityPath=demo"
    )
    provider = sas_provider_from_connection_string(parse_connection_string(text), clock=clock)
    assert isinstance(provider, SasTokenProvider)
    token = await provider.get_token()
    verify_sas_token(
        token.value.reveal(),
        keys=_keys,
        namespace_host="ns.servicebus.windows.net",
        entity_path="demo",
        now=clock.now,
    )


@pytest.mark.asyncio
async def test_fixed_signature_cannot_renew(clock: FakeClock) -> None:
    signature = build_sas_token(
        ADDRESS.sas_resource_uri(), "listen-only", KEY, expires_at=int(clock.now) + 600
    )
    text = f"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessSignature={signature}"
    provider = sas_provider_from_connection_string(parse_connection_string(text), clock=clock)
    assert isinstance(provider, StaticSasTokenProvider)
    assert "cannot be renewed" in provider.describe()
    token = await provider.get_token()
    assert token.value.reveal() == signature and token.expires_at == clock.now + 600
    with pytest.raises(TokenNotRenewable) as info:
        await provider.get_token(expires_after=token.expires_at)
    assert info.value.retry_after is None
    with pytest.raises(TokenNotRenewable):
        await provider.get_token(min_valid_for=601)
    clock.advance(600)
    with pytest.raises(TokenNotRenewable) as expired:
        await provider.get_token()
    assert "expired" in str(expired.value) and expired.value.remedy
    assert signature not in str(expired.value) and KEY not in repr(provider)


def test_fixed_signature_must_parse() -> None:
    with pytest.raises(InvalidTokenFormat):
        StaticSasTokenProvider(Secret("not a token"))
