"""relaydesk.token_providers.provider_for: the provider a profile identity calls for."""

from __future__ import annotations

import pytest

from relaydesk.auth.anonymous import AnonymousTokenProvider
from relaydesk.auth.entra_provider import EntraTokenProvider
from relaydesk.auth.sas_provider import SasTokenProvider, StaticSasTokenProvider
from relaydesk.errors import InvalidField
from relaydesk.profiles.model import IdentityConfig, Profile
from relaydesk.protocol.sas import build_sas_token, verify_sas_token
from relaydesk.secrets import Secret
from relaydesk.token_providers import provider_for
from tests.auth.conftest import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


GUID = "11111111-2222-3333-4444-555555555555"


def _profile(listener: IdentityConfig, sender: IdentityConfig) -> Profile:
    return Profile("p", "sb://ns.servicebus.windows.net/demo", listener, sender)


@pytest.mark.asyncio
async def test_sas_identity_gives_a_signing_provider(clock: FakeClock) -> None:
    profile = _profile(
        IdentityConfig(kind="sas", sas_key_name="listen-only"), IdentityConfig(kind="anonymous")
    )
    provider = provider_for(profile, "listener", Secret("key"), clock=clock)
    assert isinstance(provider, SasTokenProvider)
    token = await provider.get_token()
    verify_sas_token(
        token.value.reveal(),
        keys=lambda name: ["key"] if name == "listen-only" else [],
        namespace_host="ns.servicebus.windows.net",
        entity_path="demo",
        now=clock.now,
    )
    assert isinstance(provider_for(profile, "sender", None), AnonymousTokenProvider)


def test_entra_identity_gives_an_entra_provider() -> None:
    entra = IdentityConfig(kind="entra", tenant_id=GUID, client_id=GUID, cloud="usgov")
    profile = _profile(entra, IdentityConfig(kind="anonymous"))
    provider = provider_for(profile, "listener", Secret("s"))
    assert isinstance(provider, EntraTokenProvider)
    try:
        assert provider.authority == f"https://login.microsoftonline.us/{GUID}"
        assert provider.scope == "https://relay.azure.net/.default"
    finally:
        provider.close()


def test_missing_secret_and_anonymous_listener_are_field_errors() -> None:
    sas = IdentityConfig(kind="sas", sas_key_name="rule")
    with pytest.raises(InvalidField) as missing:
        provider_for(_profile(sas, sas), "sender", None)
    assert missing.value.field == "sender.secret"
    anonymous = IdentityConfig(kind="anonymous")
    with pytest.raises(InvalidField) as listener:
        provider_for(_profile(anonymous, anonymous), "listener", None)
    assert listener.value.field == "listener.kind"


@pytest.mark.asyncio
async def test_fixed_signature_is_served_as_given(clock: FakeClock) -> None:
    """A connection string's SharedAccessSignature (§9.1): the CLI's kind, one factory."""
    signature = build_sas_token(
        "http://ns.servicebus.windows.net/demo", "rule", "key", expires_at=int(clock.now) + 60
    )
    fixed = IdentityConfig(kind="sas_signature")
    profile = _profile(fixed, fixed)
    provider = provider_for(profile, "sender", Secret(signature), clock=clock)
    assert isinstance(provider, StaticSasTokenProvider)
    assert (await provider.get_token()).value.reveal() == signature
    with pytest.raises(InvalidField) as missing:
        provider_for(profile, "listener", None)
    assert "SharedAccessSignature" in missing.value.reason
