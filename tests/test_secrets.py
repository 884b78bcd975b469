"""relaydesk.secrets: Secret redaction, MemorySecretStore, KeyringSecretStore."""

from __future__ import annotations

import copy
import logging
import pickle
from collections.abc import Iterator
from pathlib import Path

import keyring.backend
import keyring.backends.SecretService
import keyring.errors
import pytest
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend

from relaydesk.errors import (
    InvalidInput,
    KeyringBackendInvalid,
    SecretStoreError,
    SecretStoreUnavailable,
)
from relaydesk.secrets import KeyringSecretStore, MemorySecretStore, Secret, SecretStore, secret_key
from tests.keyring_service import SecretServiceSession, require_programs, run_secret_service

VALUE = "s3cr3t-Value~with/odd=chars"


@pytest.fixture
def secret_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretServiceSession]:
    with run_secret_service(tmp_path, monkeypatch) as session:
        yield session


def test_secret_never_shows_its_value(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(VALUE)
    texts = [repr(secret), str(secret), f"{secret}", f"{secret!r}", str([secret])]
    texts.append("{}".format(secret))  # noqa: UP032 - str.format is another path
    texts.append(f"{secret:>40}")
    assert all(VALUE not in text for text in texts)
    assert repr(secret) == "Secret('***')"
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").debug("secret is %s / %r", secret, secret)
    assert VALUE not in caplog.text
    assert secret.reveal() == VALUE


def test_secret_refuses_pickling_and_compares_by_value() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret(VALUE))
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert copy.deepcopy(Secret("a")).reveal() == "a"
    assert not Secret("")
    with pytest.raises(SecretStoreError):
        Secret(123)  # type: ignore[arg-type]


def test_secret_key_is_per_profile_and_role() -> None:
    assert secret_key("Local demo", "listener") == "Local demo/listener"


@pytest.mark.asyncio
async def test_memory_store_round_trip_and_label() -> None:
    store = MemorySecretStore()
    assert isinstance(store, SecretStore)
    assert not store.persistent
    assert "session" in store.backend_name
    await store.set_async("p/listener", Secret(VALUE))
    assert (await store.get_async("p/listener")) == Secret(VALUE)
    await store.delete_async("p/listener")
    store.delete("p/listener")  # deleting a missing key is fine
    assert store.get("p/listener") is None
    assert VALUE not in repr(store)


@pytest.mark.parametrize(
    "backend",
    [fail.Keyring(), null.Keyring()],
    ids=["fail", "null"],
)
def test_unusable_backends_raise_unavailable_with_remedy(backend: object) -> None:
    from relaydesk.remedies import remedy_for

    with pytest.raises(SecretStoreUnavailable) as info:
        KeyringSecretStore(backend=backend)  # type: ignore[arg-type]
    assert "keyring" in str(info.value).lower()
    assert "GNOME Keyring" in remedy_for(info.value)
    # Only the GUI keeps secrets in memory meanwhile; the CLI exits and says so.
    assert "in memory" not in remedy_for(info.value, edge="cli")


def test_empty_chainer_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ChainerBackend, "backends", [], raising=False)
    with pytest.raises(SecretStoreUnavailable):
        KeyringSecretStore(backend=ChainerBackend())


@pytest.mark.parametrize("name", ["nope.Nope", "keyring.backends.fail.Nope", "", "os.getcwd"])
def test_a_backend_name_that_does_not_load_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """keyring let ImportError/AttributeError/ValueError escape (the CLI exited 1)."""
    import keyring.core

    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # read the environment anew
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    with pytest.raises(KeyringBackendInvalid) as info:
        KeyringSecretStore()
    assert info.value.field == "PYTHON_KEYRING_BACKEND" and repr(name) in info.value.reason
    assert isinstance(info.value, InvalidInput)  # exit 2 in the CLI
    assert isinstance(info.value, SecretStoreUnavailable)  # memory fallback in the GUI


def test_secret_service_without_a_bus_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A D-Bus failure at call time becomes SecretStoreUnavailable, not a crash."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/relaydesk-test-bus")
    store = KeyringSecretStore(backend=keyring.backends.SecretService.Keyring())
    with pytest.raises(SecretStoreUnavailable) as info:
        store.set("p/listener", Secret(VALUE))
    assert VALUE not in str(info.value)
    assert "keyring" in str(info.value) and "in memory" not in str(info.value)


@pytest.mark.keyring
@pytest.mark.asyncio
async def test_real_secret_service_round_trip(secret_service: SecretServiceSession) -> None:
    store = KeyringSecretStore("relaydesk-test", backend=keyring.backends.SecretService.Keyring())
    assert store.backend_name == "Secret Service"
    assert store.persistent
    key = secret_key("Local demo", "listener")
    assert store.get(key) is None
    await store.set_async(key, Secret(VALUE))
    assert (await store.get_async(key)) == Secret(VALUE)
    store.set(secret_key("Local demo", "sender"), Secret("other"))
    assert store.get(secret_key("Local demo", "sender")) == Secret("other")
    await store.delete_async(key)
    assert store.get(key) is None
    store.delete(key)  # idempotent
    # The secret went to the keyring files under the private HOME, not anywhere else.
    assert any((secret_service.home / ".local/share/keyrings").iterdir())


def test_missing_keyring_daemon_fails_on_ci_and_skips_locally(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dbus-daemon, no gnome-keyring-daemon here
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="gnome-keyring-daemon"):
        require_programs()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        require_programs()


class _RaisingBackend(keyring.backend.KeyringBackend):
    """A tiny fake backend whose every call raises ``error``."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (keyring.errors.KeyringLocked("locked"), SecretStoreUnavailable),
        (keyring.errors.NoKeyringError("none"), SecretStoreUnavailable),
        (keyring.errors.InitError("init"), SecretStoreUnavailable),
        (ConnectionError("dbus went away"), SecretStoreUnavailable),
        (keyring.errors.PasswordSetError("refused"), SecretStoreError),
    ],
)
def test_backend_errors_are_typed(error: Exception, expected: type[Exception]) -> None:
    store = KeyringSecretStore(backend=_RaisingBackend(error))
    with pytest.raises(expected) as info:
        store.set("p/listener", Secret(VALUE))
    assert VALUE not in str(info.value)
    assert (expected is SecretStoreUnavailable) == isinstance(info.value, SecretStoreUnavailable)
    with pytest.raises(expected):
        store.get("p/listener")


def test_deleting_a_missing_entry_is_not_an_error() -> None:
    store = KeyringSecretStore(backend=_RaisingBackend(keyring.errors.PasswordDeleteError("no")))
    store.delete("p/listener")
