"""``--profile NAME``: address and identities from a saved profile, secrets from the keyring.

One test uses a small in-memory keyring backend (a fake store, installed as
keyring's backend for the test); one runs ``python -m relaydesk check
--profile`` against a real Secret Service (gnome-keyring) in a private D-Bus
session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest

from relaydesk.cli import main
from relaydesk.profiles.model import IdentityConfig, Profile
from relaydesk.profiles.store import ProfileStore
from relaydesk.secrets import KeyringSecretStore, Secret
from tests.cli.conftest import World, assert_no_secret
from tests.keyring_service import run_secret_service
from tests.memory_keyring import MemoryKeyring

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NAME = "Local demo"


def _identity(world: World, name: str) -> IdentityConfig:
    return IdentityConfig(
        kind="entra",
        tenant_id=world.info["tenant_id"],
        client_id=world.identity(name)["client_id"],
        authority_host=f"https://{world.namespace}",
        ca_file=str(world.info["ca_file"]),
    )


def _save_profile(world: World, store: ProfileStore, *, sender_secret: bool = True) -> None:
    profile = Profile(
        name=NAME,
        address=world.address(),
        listener=_identity(world, "listener"),
        sender=_identity(world, "sender"),
    )
    store.save(profile)
    store.set_secret(NAME, "listener", Secret(world.identity("listener")["client_secret"]))
    if sender_secret:
        store.set_secret(NAME, "sender", Secret(world.identity("sender")["client_secret"]))


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_check_with_a_profile(
    world: World,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RELAYDESK_CONFIG_DIR", str(tmp_path))
    store = ProfileStore(KeyringSecretStore(backend=memory_keyring), config_dir=tmp_path)
    _save_profile(world, store)
    assert main(["check", "--profile", NAME, "--json"]) == 0
    assert main(["--profile", NAME, "token", "--role", "both", "--json"]) == 0  # top-level option
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert records[-3]["event"] == "result" and records[-3]["passed"]
    assert [r["identity"] for r in records[-2:]] == [
        world.identity("listener")["client_id"],
        world.identity("sender")["client_id"],
    ]
    assert_no_secret(world, captured.out, captured.err)


def test_profile_errors_are_usage_errors_with_a_remedy(
    world: World,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RELAYDESK_CONFIG_DIR", str(tmp_path))
    assert main(["token", "--profile", "missing"]) == 2
    assert "there is no profile named 'missing'" in capsys.readouterr().err

    store = ProfileStore(KeyringSecretStore(backend=memory_keyring), config_dir=tmp_path)
    _save_profile(world, store, sender_secret=False)
    assert main(["send", "--profile", NAME, "--message", "x"]) == 2
    err = capsys.readouterr().err
    assert "no client secret for this profile's sender" in err and "--client-secret-env" in err


def test_unusable_keyring_exits_3_without_promising_to_keep_the_secret(
    world: World,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from keyring.backends import fail

    monkeypatch.setenv("RELAYDESK_CONFIG_DIR", str(tmp_path))
    store = ProfileStore(KeyringSecretStore(backend=memory_keyring), config_dir=tmp_path)
    _save_profile(world, store)
    keyring.set_keyring(fail.Keyring())  # the fixture restores the previous one
    assert main(["send", "--profile", NAME, "--message", "x"]) == 3
    err = capsys.readouterr().err
    assert "keyring" in err and "--client-secret-env" in err
    assert "in memory" not in err


@pytest.mark.keyring
def test_subprocess_check_with_a_profile_and_a_real_secret_service(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backends import SecretService

    with run_secret_service(tmp_path / "keyring", monkeypatch):
        store = ProfileStore(
            KeyringSecretStore(backend=SecretService.Keyring()), config_dir=tmp_path / "config"
        )
        _save_profile(world, store)
        env = {k: v for k, v in os.environ.items() if not k.startswith("RD_TEST_")}
        env.update(RELAYDESK_CONFIG_DIR=str(tmp_path / "config"), PYTHONPATH=str(ROOT))
        result = subprocess.run(
            [sys.executable, "-m", "relaydesk", "check", "--profile", NAME],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("check passed")
    assert_no_secret(world, result.stdout, result.stderr)


def test_a_profile_whose_sender_is_its_listener_shares_one_provider(
    world: World,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One identity, one MSAL cache: the sender's token is the listener's, from the cache."""
    monkeypatch.setenv("RELAYDESK_CONFIG_DIR", str(tmp_path))
    store = ProfileStore(KeyringSecretStore(backend=memory_keyring), config_dir=tmp_path)
    profile = Profile(
        name=NAME,
        address=world.address(),
        listener=_identity(world, "owner"),
        sender_same_as_listener=True,
    )
    store.save(profile)
    store.set_secret(NAME, "listener", Secret(world.identity("owner")["client_secret"]))
    assert main(["token", "--profile", NAME, "--role", "both", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["role"], r["from_cache"]) for r in records] == [
        ("listener", False),
        ("sender", True),
    ]
