"""gui/bridges/provider_pool.py: one provider per identity, closed at the end."""

from __future__ import annotations

from dataclasses import replace

import pytest

from relaydesk.auth.entra_provider import EntraTokenProvider
from relaydesk.auth.sas_provider import SasTokenProvider
from relaydesk.errors import InvalidField
from relaydesk.gui.bridges.provider_pool import ProviderPool
from relaydesk.profiles.model import IdentityConfig, Profile, Role
from relaydesk.secrets import Secret
from tests.profiles.helpers_profiles import CLIENT_SECRET, SAS_KEY, sample_profile


class _Closable:
    """A provider stand-in that records being closed (a small fake, no relay)."""

    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_the_same_identity_and_secret_get_the_same_provider() -> None:
    pool = ProviderPool()
    profile = sample_profile()
    first = pool.provider(profile, "listener", Secret(CLIENT_SECRET))
    again = pool.provider(replace(profile, name="Copy"), "listener", Secret(CLIENT_SECRET))
    assert isinstance(first, EntraTokenProvider)
    assert again is first  # the MSAL token cache lives on
    other = pool.provider(profile, "listener", Secret(CLIENT_SECRET + "x"))
    assert other is not first  # a changed secret is another provider
    pool.close()


def test_sas_providers_are_per_address() -> None:
    pool = ProviderPool()
    profile = sample_profile()
    one = pool.provider(profile, "sender", Secret(SAS_KEY))
    moved = replace(profile, address="sb://ns.servicebus.windows.net/other")
    assert isinstance(one, SasTokenProvider)
    assert pool.provider(profile, "sender", Secret(SAS_KEY)) is one
    assert pool.provider(moved, "sender", Secret(SAS_KEY)) is not one  # another audience


def test_anonymous_senders_are_not_pooled_and_errors_are_not_cached() -> None:
    pool = ProviderPool()
    profile = sample_profile(sender=IdentityConfig(kind="anonymous"))
    pool.provider(profile, "sender", None)
    assert len(pool) == 0
    with pytest.raises(InvalidField):
        pool.provider(profile, "listener", None)  # no secret typed in yet
    assert len(pool) == 0


def test_close_closes_each_provider_once_and_empties_the_pool() -> None:
    made: list[_Closable] = []

    def factory(_profile: Profile, _role: Role, _secret: Secret | None) -> _Closable:
        made.append(_Closable())
        return made[-1]

    pool = ProviderPool(factory)  # type: ignore[arg-type]
    profile = sample_profile()
    pool.provider(profile, "listener", Secret("a"))
    pool.provider(profile, "listener", Secret("a"))
    pool.provider(profile, "sender", Secret("b"))
    assert len(made) == 2
    pool.close()
    pool.close()
    assert [p.closed for p in made] == [1, 1]
    assert len(pool) == 0


def test_repr_shows_no_secret() -> None:
    pool = ProviderPool()
    pool.provider(sample_profile(), "listener", Secret(CLIENT_SECRET))
    assert CLIENT_SECRET not in repr(pool)
    assert repr(pool) == "ProviderPool(1 providers)"
    pool.close()
