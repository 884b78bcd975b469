"""form_checks: secrets needed per identity kind; storage wording."""

from __future__ import annotations

from relaydesk.gui.models.form_checks import form_problems, secret_location, secret_problems
from relaydesk.profiles.model import IdentityConfig, Profile

TENANT = "d3f1c2a0-1111-2222-3333-444455556666"
CLIENT = "7f3c0000-aaaa-bbbb-cccc-ddddeeeeffff"
ENTRA = IdentityConfig(kind="entra", tenant_id=TENANT, client_id=CLIENT)
SAS = IdentityConfig(kind="sas", sas_key_name="send-only")
ANON = IdentityConfig(kind="anonymous")


def _fields(profile: Profile, entered: dict[str, bool], stored: dict[str, bool]) -> list[str]:
    return [p.field for p in secret_problems(profile, entered, stored)]


def test_each_identity_needs_its_secret_typed_or_stored() -> None:
    profile = Profile(name="p", address="ns/hc", listener=ENTRA, sender=SAS)
    assert _fields(profile, {}, {}) == ["listener.client_secret", "sender.sas_key"]
    assert _fields(profile, {"listener": True}, {"sender": True}) == []


def test_shared_and_anonymous_senders_need_no_secret_of_their_own() -> None:
    shared = Profile(
        name="p", address="ns/hc", listener=SAS, sender=ANON, sender_same_as_listener=True
    )
    assert _fields(shared, {}, {}) == ["listener.sas_key"]
    anonymous = Profile(name="p", address="ns/hc", listener=SAS, sender=ANON)
    assert _fields(anonymous, {}, {"listener": True}) == []


def test_form_problems_puts_field_problems_first() -> None:
    profile = Profile(name="", address="ns/hc", listener=ENTRA, sender=ANON)
    assert [p.field for p in form_problems(profile, {}, {})] == ["name", "listener.client_secret"]


def test_secret_location_words() -> None:
    keyring = "GNOME Keyring"
    assert secret_location(keyring, True, stored=True) == "stored in GNOME Keyring"
    assert "stored in" not in secret_location(keyring, True)  # an empty field stores nothing
    assert secret_location(keyring, True, typed=True) == "Save stores it in GNOME Keyring"
    assert secret_location(keyring, True, stored=True, typed=True).startswith("Save stores")
    assert secret_location("memory", False, stored=True).endswith("for this session only")
    assert "no keyring" in secret_location("memory", False)
