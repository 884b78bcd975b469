"""relaydesk.profiles.model: roles, shared secrets, and the JSON form."""

from __future__ import annotations

import json

import pytest

from relaydesk.errors import ProfileError
from relaydesk.profiles.model import IdentityConfig, ProxyConfig, profile_from_json, profile_to_json
from relaydesk.profiles.validation import validate

from .helpers_profiles import CLIENT, entra, sample_profile


def test_sender_same_as_listener_skips_sender_checks_and_shares_the_secret() -> None:
    profile = sample_profile(sender=IdentityConfig(kind="sas"), sender_same_as_listener=True)
    assert validate(profile) == []
    assert profile.identity("sender") == profile.listener
    assert profile.secret_key("sender") == "Local demo/listener"
    assert sample_profile().secret_key("sender") == "Local demo/sender"


def test_json_round_trip_keeps_every_field() -> None:
    profile = sample_profile(
        listener=entra(authority_host="https://127.0.0.1:8443", scope="s", ca_file="/ca.pem"),
        sender_same_as_listener=True,
        forward_to="https://127.0.0.1:8443",
        forward_ca_file="/home/me/dev-ca.pem",
        forward_insecure=True,
        proxy=ProxyConfig(mode="explicit", url="http://proxy.corp:3128", username="alice"),
    )
    text = profile_to_json(profile)
    assert text.endswith("\n") and '"format": "relaydesk.profile"' in text
    assert profile_from_json(text) == profile


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[]", "not a RelayDesk profile"),
        ('{"format": "other", "name": "a", "address": "b"}', "not a RelayDesk profile"),
        ('{"format": "relaydesk.profile", "name": "a"}', "name or address is missing"),
        (
            '{"format": "relaydesk.profile", "name": "a", "address": "b", "listener": 1}',
            "listener is not an object",
        ),
        (
            '{"format": "relaydesk.profile", "name": "a", "address": "b",'
            ' "sender": {"client_id": 5}}',
            "sender.client_id is not text",
        ),
        (
            '{"format": "relaydesk.profile", "name": "a", "address": "b",'
            ' "sender_same_as_listener": "yes"}',
            "sender_same_as_listener is not true/false",
        ),
        (
            '{"format": "relaydesk.profile", "name": "a", "address": "b", "forward_to": 8080}',
            "forward_to is not text",
        ),
        (
            '{"format": "relaydesk.profile", "name": "a", "address": "b", "forward_insecure": 1}',
            "forward_insecure is not true/false",
        ),
        (
            '{"format": "relaydesk.profile", "name": "a", "address": "b", "proxy": {"url": 1}}',
            "proxy.url is not text",
        ),
        ("{not json", "is not a valid profile"),
    ],
)
def test_json_errors_name_the_source_and_reason(text: str, reason: str) -> None:
    with pytest.raises(ProfileError) as info:
        profile_from_json(text, source="the pasted text")
    assert str(info.value).startswith("the pasted text is not a valid profile: ")
    assert reason in str(info.value)


def test_unknown_json_fields_are_ignored() -> None:
    document = json.loads(profile_to_json(sample_profile()))
    document["listener"]["future_field"] = "x"
    document["colour"] = "blue"
    assert profile_from_json(json.dumps(document)) == sample_profile()


def test_a_profile_saved_before_forwarding_existed_forwards_nothing() -> None:
    document = json.loads(profile_to_json(sample_profile()))
    for name in ("forward_to", "forward_ca_file", "forward_insecure"):
        del document[name]
    profile = profile_from_json(json.dumps(document))
    forwarding = (profile.forward_to, profile.forward_ca_file, profile.forward_insecure)
    assert forwarding == ("", "", False)


def test_describe_never_needs_a_secret() -> None:
    assert entra().describe() == f"Entra app {CLIENT}"
    assert IdentityConfig(kind="sas", sas_key_name="r").describe() == "SAS rule 'r'"
    assert IdentityConfig(kind="anonymous").describe() == "anonymous"
