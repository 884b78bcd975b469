"""relaydesk.profiles.validation: every field is checked, all problems at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from relaydesk.errors import InvalidField
from relaydesk.profiles.model import IdentityConfig, Profile, ProxyConfig
from relaydesk.profiles.validation import normalise_address, validate, validate_or_raise

from .helpers_profiles import entra, sample_profile


def test_valid_profile_has_no_problems_and_normalises() -> None:
    profile = sample_profile(name="  Local demo ")
    assert validate(profile) == []
    normal = validate_or_raise(profile)
    assert normal.name == "Local demo"
    assert normal.address == "sb://ns.servicebus.windows.net/demo"


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        (sample_profile(name=""), "name"),
        (sample_profile(name="   "), "name"),
        (sample_profile(name="bad\x00name"), "name"),
        (sample_profile(name="x" * 101), "name"),
        (sample_profile(address="not an address"), "address"),
        (sample_profile(address="sb://ns.servicebus.windows.net/"), "address"),
        (sample_profile(listener=entra(tenant_id="")), "listener.tenant_id"),
        (sample_profile(listener=entra(tenant_id="not a tenant!")), "listener.tenant_id"),
        (sample_profile(listener=entra(client_id="1234")), "listener.client_id"),
        (sample_profile(listener=entra(cloud="mars")), "listener.cloud"),
        (
            sample_profile(listener=entra(authority_host="http://login.example")),
            "listener.authority_host",
        ),
        (
            sample_profile(listener=entra(authority_host="https://x.example/t")),
            "listener.authority_host",
        ),
        (sample_profile(listener=entra(ca_file="/nonexistent/ca.pem")), "listener.ca_file"),
        (sample_profile(listener=entra(scope="a b")), "listener.scope"),
        (sample_profile(listener=IdentityConfig(kind="anonymous")), "listener.kind"),
        (sample_profile(sender=IdentityConfig(kind="sas", sas_key_name="")), "sender.sas_key_name"),
        (sample_profile(sender=IdentityConfig(kind="token")), "sender.kind"),  # type: ignore[arg-type]
        (sample_profile(sender=IdentityConfig(kind="sas_signature")), "sender.kind"),
    ],
)
def test_each_field_is_checked(profile: Profile, field: str) -> None:
    problems = validate(profile)
    assert [problem.field for problem in problems] == [field]
    assert problems[0].reason
    with pytest.raises(InvalidField) as info:
        validate_or_raise(profile)
    assert info.value.field == field


def test_every_problem_is_reported_at_once() -> None:
    profile = Profile(
        name="",
        address="??",
        listener=IdentityConfig(kind="entra", tenant_id="", client_id="x"),
        sender=IdentityConfig(kind="sas"),
    )
    fields = [problem.field for problem in validate(profile)]
    assert fields == [
        "name",
        "address",
        "listener.tenant_id",
        "listener.client_id",
        "sender.sas_key_name",
    ]


def test_tenant_accepts_guid_or_domain_and_sender_may_be_anonymous(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    profile = sample_profile(
        listener=entra(
            tenant_id="contoso.onmicrosoft.com",
            authority_host="https://127.0.0.1:8443",
            ca_file=str(ca),
            scope="https://relay.azure.net//.default",
        ),
        sender=IdentityConfig(kind="anonymous"),
    )
    assert validate(profile) == []


def test_normalise_address() -> None:
    assert normalise_address("wss://ns.servicebus.windows.net/$hc/demo") == (
        "sb://ns.servicebus.windows.net/demo"
    )
    with pytest.raises(InvalidField) as info:
        normalise_address("")
    assert info.value.field == "address"


@pytest.mark.parametrize(
    ("proxy", "field"),
    [
        (ProxyConfig(mode="sometimes"), "proxy.mode"),
        (ProxyConfig(mode="explicit"), "proxy.url"),
        (ProxyConfig(mode="explicit", url="ftp://p:1"), "proxy.url"),
        (ProxyConfig(mode="explicit", url="http://bob:pw@p:1"), "proxy.url"),
    ],
)
def test_proxy_problems_name_the_field(proxy: ProxyConfig, field: str) -> None:
    problems = validate(sample_profile(proxy=proxy))
    assert [p.field for p in problems] == [field]


def test_proxy_modes_that_validate() -> None:
    for proxy in (
        ProxyConfig(),
        ProxyConfig(mode="none"),
        ProxyConfig(mode="explicit", url="socks5://127.0.0.1:1080", username="u"),
    ):
        assert validate(sample_profile(proxy=proxy)) == []
