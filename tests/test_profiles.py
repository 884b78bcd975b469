"""relaydesk.profiles: validation per field, JSON store, secrets that follow renames."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from relaydesk.errors import InvalidConnectionString, InvalidField, ProfileError
from relaydesk.profiles import (
    CONFIG_DIR_ENV,
    IdentityConfig,
    Profile,
    ProfileStore,
    default_config_dir,
    normalise_address,
    profile_file_name,
    validate,
    validate_or_raise,
)
from relaydesk.secrets import MemorySecretStore, Secret

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SAS_KEY = "c2FzLWtleS12YWx1ZS1mb3ItdGVzdHM=+/="
CLIENT_SECRET = "Zq8~client-secret-value"


def _entra(**kwargs: str | None) -> IdentityConfig:
    values: dict[str, str | None] = {"tenant_id": TENANT, "client_id": CLIENT}
    values.update(kwargs)
    return IdentityConfig(kind="entra", **values)  # type: ignore[arg-type]


def _profile(name: str = "Local demo", **kwargs: object) -> Profile:
    values: dict[str, object] = {
        "address": "https://NS.servicebus.windows.net/demo",
        "listener": _entra(),
        "sender": IdentityConfig(kind="sas", sas_key_name="send-only"),
    }
    values.update(kwargs)
    return Profile(name=name, **values)  # type: ignore[arg-type]


@pytest.fixture
def secrets() -> MemorySecretStore:
    return MemorySecretStore()


@pytest.fixture
def store(tmp_path: Path, secrets: MemorySecretStore) -> ProfileStore:
    return ProfileStore(secrets, tmp_path / "config")


# --- validation ------------------------------------------------------------------


def test_valid_profile_has_no_problems_and_normalises() -> None:
    profile = _profile(name="  Local demo ")
    assert validate(profile) == []
    normal = validate_or_raise(profile)
    assert normal.name == "Local demo"
    assert normal.address == "sb://ns.servicebus.windows.net/demo"


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        (_profile(name=""), "name"),
        (_profile(name="   "), "name"),
        (_profile(name="bad\x00name"), "name"),
        (_profile(name="x" * 101), "name"),
        (_profile(address="not an address"), "address"),
        (_profile(address="sb://ns.servicebus.windows.net/"), "address"),
        (_profile(listener=_entra(tenant_id="")), "listener.tenant_id"),
        (_profile(listener=_entra(tenant_id="not a tenant!")), "listener.tenant_id"),
        (_profile(listener=_entra(client_id="1234")), "listener.client_id"),
        (_profile(listener=_entra(cloud="mars")), "listener.cloud"),
        (
            _profile(listener=_entra(authority_host="http://login.example")),
            "listener.authority_host",
        ),
        (
            _profile(listener=_entra(authority_host="https://x.example/t")),
            "listener.authority_host",
        ),
        (_profile(listener=_entra(ca_file="/nonexistent/ca.pem")), "listener.ca_file"),
        (_profile(listener=_entra(scope="a b")), "listener.scope"),
        (_profile(listener=IdentityConfig(kind="anonymous")), "listener.kind"),
        (_profile(sender=IdentityConfig(kind="sas", sas_key_name="")), "sender.sas_key_name"),
        (_profile(sender=IdentityConfig(kind="token")), "sender.kind"),  # type: ignore[arg-type]
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
    profile = _profile(
        listener=_entra(
            tenant_id="contoso.onmicrosoft.com",
            authority_host="https://127.0.0.1:8443",
            ca_file=str(ca),
            scope="https://relay.azure.net//.default",
        ),
        sender=IdentityConfig(kind="anonymous"),
    )
    assert validate(profile) == []


def test_sender_same_as_listener_skips_sender_checks_and_shares_the_secret() -> None:
    profile = _profile(sender=IdentityConfig(kind="sas"), sender_same_as_listener=True)
    assert validate(profile) == []
    assert profile.identity("sender") == profile.listener
    assert profile.secret_key("sender") == "Local demo/listener"
    assert _profile().secret_key("sender") == "Local demo/sender"


def test_normalise_address() -> None:
    assert normalise_address("wss://ns.servicebus.windows.net/$hc/demo") == (
        "sb://ns.servicebus.windows.net/demo"
    )
    with pytest.raises(InvalidField) as info:
        normalise_address("")
    assert info.value.field == "address"


# --- files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Local demo", "CON", "../../etc/passwd", "a/b\\c:d*e?", "Ünïcødé ☃", "."]
)
def test_file_names_are_safe_and_unique(name: str) -> None:
    file_name = profile_file_name(name)
    assert file_name.endswith(".json")
    assert "/" not in file_name and "\\" not in file_name and ".." not in file_name
    assert all(ch.isascii() and (ch.isalnum() or ch in "-.") for ch in file_name)
    assert file_name.split("-")[0].lower() != "con.json"
    assert profile_file_name(name) != profile_file_name(name.upper() + "x")


def test_case_differences_get_different_files() -> None:
    assert profile_file_name("Demo") != profile_file_name("demo")


def test_round_trip(store: ProfileStore) -> None:
    saved = store.save(_profile())
    assert store.list() == ["Local demo"]
    assert store.exists("Local demo")
    loaded = store.load("Local demo")
    assert loaded == saved
    assert loaded.address == "sb://ns.servicebus.windows.net/demo"
    assert store.path_for("Local demo").parent == store.directory
    assert not list(store.directory.glob(".tmp-*"))  # atomic writes leave no temp files


def test_save_refuses_invalid_profiles_and_existing_names(store: ProfileStore) -> None:
    with pytest.raises(InvalidField):
        store.save(_profile(address="nope"))
    store.save(_profile())
    with pytest.raises(ProfileError):
        store.save(_profile(), overwrite=False)


def test_config_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "cfg"))
    assert default_config_dir() == tmp_path / "cfg"
    store = ProfileStore(MemorySecretStore())
    store.save(_profile())
    assert (tmp_path / "cfg" / "profiles").is_dir()
    monkeypatch.delenv(CONFIG_DIR_ENV)
    assert "relaydesk" in str(default_config_dir())


def test_corrupt_file_is_a_profile_error_naming_the_file(store: ProfileStore) -> None:
    store.save(_profile())
    store.save(_profile(name="Other"))
    broken = store.path_for("Other")
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        store.load("Other")
    assert str(broken) in str(info.value)
    profiles, errors = store.scan()
    assert [p.name for p in profiles] == ["Local demo"]
    assert len(errors) == 1 and str(broken) in str(errors[0])
    broken.write_text(json.dumps({"format": "relaydesk.profile", "name": 3}), encoding="utf-8")
    with pytest.raises(ProfileError):
        store.load("Other")


def test_missing_profile_is_a_profile_error(store: ProfileStore) -> None:
    with pytest.raises(ProfileError):
        store.load("ghost")
    with pytest.raises(ProfileError):
        store.delete("ghost")


# --- secrets follow the profile ------------------------------------------------------


def test_rename_moves_secrets_and_last_used(
    store: ProfileStore, secrets: MemorySecretStore
) -> None:
    store.save(_profile())
    store.set_secret("Local demo", "listener", Secret(CLIENT_SECRET))
    store.set_secret("Local demo", "sender", Secret(SAS_KEY))
    store.set_last_used("Local demo")
    renamed = store.rename("Local demo", "Renamed")
    assert renamed.name == "Renamed"
    assert store.list() == ["Renamed"]
    assert secrets.keys() == ["Renamed/listener", "Renamed/sender"]
    assert store.get_secret(renamed, "listener") == Secret(CLIENT_SECRET)
    assert store.last_used() == "Renamed"
    with pytest.raises(ProfileError):
        store.rename("Renamed", "Renamed")
    with pytest.raises(InvalidField):
        store.rename("Renamed", " ")


def test_duplicate_copies_secrets(store: ProfileStore, secrets: MemorySecretStore) -> None:
    store.save(_profile())
    store.set_secret("Local demo", "listener", Secret(CLIENT_SECRET))
    store.duplicate("Local demo", "Copy")
    assert store.list() == ["Copy", "Local demo"]
    assert secrets.keys() == ["Copy/listener", "Local demo/listener"]
    store.duplicate("Local demo", "Bare", copy_secrets=False)
    assert secrets.get("Bare/listener") is None


def test_delete_removes_file_secrets_and_last_used(
    store: ProfileStore, secrets: MemorySecretStore
) -> None:
    store.save(_profile())
    store.set_secret("Local demo", "listener", Secret(CLIENT_SECRET))
    store.set_last_used("Local demo")
    store.delete("Local demo")
    assert store.list() == [] and secrets.keys() == []
    assert store.last_used() is None


def test_last_used_survives_a_garbled_state_file(store: ProfileStore) -> None:
    assert store.last_used() is None
    store.set_last_used("x")
    (store.directory.parent / "state.json").write_text("garbage")
    assert store.last_used() is None


# --- import / export ---------------------------------------------------------------------


def test_import_connection_string(store: ProfileStore, secrets: MemorySecretStore) -> None:
    text = (
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        f"SharedAccessKey={SAS_KEY};EntityPath=demo"
    )
    profile = store.import_connection_string(text, "Imported")
    assert profile.address == "sb://ns.servicebus.windows.net/demo"
    assert profile.listener == IdentityConfig(kind="sas", sas_key_name="RootManageSharedAccessKey")
    assert profile.sender_same_as_listener
    assert store.get_secret(profile, "sender") == Secret(SAS_KEY)
    assert SAS_KEY not in store.path_for("Imported").read_text()
    other = store.import_connection_string(
        text.replace("EntityPath=demo", ""), "B", entity_path="x"
    )
    assert other.address.endswith("/x")


def test_import_refuses_fixed_signatures_and_bad_text(store: ProfileStore) -> None:
    fixed = (
        "Endpoint=sb://ns.servicebus.windows.net/;"
        "SharedAccessSignature=SharedAccessSignature sr=a&sig=b&se=1&skn=c"
    )
    with pytest.raises(InvalidField) as info:
        store.import_connection_string(fixed + ";EntityPath=demo", "Fixed")
    assert info.value.field == "connection_string"
    with pytest.raises(InvalidConnectionString):
        store.import_connection_string("nonsense", "Bad")
    with pytest.raises(InvalidField) as missing:
        store.import_connection_string(
            f"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=r;SharedAccessKey={SAS_KEY}",
            "NoEntity",
        )
    assert missing.value.field == "address"
    assert store.list() == []


def test_export_contains_no_secret_and_imports_back(tmp_path: Path, store: ProfileStore) -> None:
    store.save(_profile())
    store.set_secret("Local demo", "listener", Secret(CLIENT_SECRET))
    store.set_secret("Local demo", "sender", Secret(SAS_KEY))
    exported = store.export_json("Local demo")
    assert CLIENT_SECRET not in exported and SAS_KEY not in exported
    assert json.loads(exported)["listener"]["client_id"] == CLIENT
    for path in (tmp_path / "config").rglob("*"):
        if path.is_file():
            content = path.read_text()
            assert CLIENT_SECRET not in content and SAS_KEY not in content
    other = ProfileStore(MemorySecretStore(), tmp_path / "other")
    imported = other.import_json(exported, name="Shared")
    assert imported == replace(store.load("Local demo"), name="Shared")
    assert other.get_secret(imported, "listener") is None
    with pytest.raises(ProfileError):
        other.import_json("[]")
