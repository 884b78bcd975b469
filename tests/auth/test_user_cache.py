"""relaydesk.auth.user_cache: the sign-in kept in the OS keyring, or in memory (said so)."""

from __future__ import annotations

import json
from pathlib import Path

import keyring.backend
from keyring.backends import fail

from relaydesk.auth.user_cache import CACHE_KEY, open_user_cache, sign_out
from relaydesk.secrets import KeyringSecretStore
from tests.memory_keyring import MemoryKeyring


def _state(*users: str) -> str:
    sections: dict[str, dict[str, dict[str, str]]] = {
        "Account": {},
        "RefreshToken": {},
        "AccessToken": {},
        "IdToken": {},
    }
    for user in users:
        home = f"{user}-oid.tid"
        sections["Account"][home] = {"home_account_id": home, "username": f"{user}@t.example"}
        for section in ("RefreshToken", "AccessToken", "IdToken"):
            sections[section][f"{home}-{section}"] = {"home_account_id": home, "secret": "x"}
    return json.dumps(sections)


def test_without_a_usable_keyring_the_sign_in_stays_in_memory_and_says_so(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        cache = open_user_cache(tmp_path, "p/listener")
    finally:
        keyring.set_keyring(previous)
    assert not cache.persistent and cache.persistence is None
    assert cache.where.startswith("in memory for this session only: no usable OS keyring")
    assert not list(tmp_path.rglob("*"))  # nothing written anywhere


def test_each_identity_keeps_its_own_sign_in_and_sign_out_forgets_it(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    store = KeyringSecretStore(backend=backend)
    listener = open_user_cache(tmp_path, "p/listener", store=store)
    sender = open_user_cache(tmp_path, "p/sender", store=store)
    assert listener.persistent and "OS keyring" in listener.where
    listener.persistence.save(_state("ann", "bob"))
    sender.persistence.save(_state("cy"))
    assert set(backend.items) == {
        ("relaydesk", f"{CACHE_KEY}/p/listener"),
        ("relaydesk", f"{CACHE_KEY}/p/sender"),
    }
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and "secret" in p.read_text()]

    assert sign_out(listener, "ann@t.example") == ["ann@t.example"]
    kept = json.loads(backend.items[("relaydesk", f"{CACHE_KEY}/p/listener")])
    assert [a["username"] for a in kept["Account"].values()] == ["bob@t.example"]
    assert all(e["home_account_id"] == "bob-oid.tid" for e in kept["RefreshToken"].values())

    again = open_user_cache(tmp_path, "p/listener", store=store)  # another run
    assert sign_out(again) == ["bob@t.example"]
    assert json.loads(backend.items[("relaydesk", f"{CACHE_KEY}/p/listener")])["Account"] == {}
    assert "cy-oid.tid" in backend.items[("relaydesk", f"{CACHE_KEY}/p/sender")]
