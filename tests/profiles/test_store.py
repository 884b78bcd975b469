"""relaydesk.profiles.store: JSON files, safe names, secrets that follow renames."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from relaydesk.errors import InvalidConnectionString, InvalidField, ProfileError
from relaydesk.profiles.model import IdentityConfig
from relaydesk.profiles.store import (
    CONFIG_DIR_ENV,
    ProfileStore,
    default_config_dir,
    profile_file_name,
)
from relaydesk.secrets import MemorySecretStore, Secret

from .helpers_profiles import CLIENT, CLIENT_SECRET, SAS_KEY, sample_profile


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
    saved = store.save(sample_profile())
    assert store.list() == ["Local demo"]
    assert store.exists("Local demo")
    loaded = store.load("Local demo")
    assert loaded == saved
    assert loaded.address == "sb://ns.servicebus.windows.net/demo"
    assert store.path_for("Local demo").parent == store.directory
    assert not list(store.directory.glob(".tmp-*"))  # atomic writes leave no temp files


def test_save_refuses_invalid_profiles_and_existing_names(store: ProfileStore) -> None:
    with pytest.raises(InvalidField):
        store.save(sample_profile(address="nope"))
    store.save(sample_profile())
    with pytest.raises(ProfileError):
        store.save(sample_profile(), overwrite=False)


def test_config_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "cfg"))
    assert default_config_dir() == tmp_path / "cfg"
    store = ProfileStore(MemorySecretStore())
    store.save(sample_profile())
    assert (tmp_path / "cfg" / "profiles").is_dir()
    monkeypatch.delenv(CONFIG_DIR_ENV)
    assert "relaydesk" in str(default_config_dir())


def test_corrupt_file_is_a_profile_error_naming_the_file(store: ProfileStore) -> None:
    store.save(sample_profile())
    store.save(sample_profile(name="Other"))
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


def test_rename_moves_secrets_and_last_used(
    store: ProfileStore, secrets: MemorySecretStore
) -> None:
    store.save(sample_profile())
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
    store.save(sample_profile())
    store.set_secret("Local demo", "listener", Secret(CLIENT_SECRET))
    store.duplicate("Local demo", "Copy")
    assert store.list() == ["Copy", "Local demo"]
    assert secrets.keys() == ["Copy/listener", "Local demo/listener"]
    store.duplicate("Local demo", "Bare", copy_secrets=False)
    assert secrets.get("Bare/listener") is None


def test_delete_removes_file_secrets_and_last_used(
    store: ProfileStore, secrets: MemorySecretStore
) -> None:
    store.save(sample_profile())
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
    store.save(sample_profile())
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


def test_proxy_password_lives_in_the_secret_store_and_follows_the_profile(
    store: ProfileStore, secrets: MemorySecretStore
) -> None:
    from relaydesk.profiles.model import ProxyConfig

    proxy = ProxyConfig(mode="explicit", url="http://proxy.corp:3128", username="alice")
    store.save(sample_profile(proxy=proxy))
    store.set_proxy_password("Local demo", Secret("pr0xy"))
    saved = store.path_for("Local demo").read_text(encoding="utf-8")
    assert "pr0xy" not in saved and '"username": "alice"' in saved
    renamed = store.rename("Local demo", "Renamed")
    assert renamed.proxy == proxy
    assert store.get_proxy_password(renamed) == Secret("pr0xy")
    assert secrets.keys() == ["Renamed/proxy"]
    settings = renamed.proxy.settings(store.get_proxy_password(renamed))
    route = settings.route("https://ns.servicebus.windows.net/demo")
    assert (
        route is not None and route.url_with_credentials() == "http://alice:pr0xy@proxy.corp:3128"
    )
    assert "pr0xy" not in store.export_json("Renamed")
    store.delete("Renamed")
    assert secrets.keys() == []
