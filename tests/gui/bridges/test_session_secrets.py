"""SessionSecrets: the OS keyring opened on first use; throw-away secrets in memory only."""

from __future__ import annotations

import threading

import pytest

from relaydesk.gui.bridges.session_secrets import NOT_OPENED, SessionSecrets
from relaydesk.secrets import KeyringSecretStore, MemorySecretStore, Secret, SecretStore
from tests.memory_keyring import MemoryKeyring


class _Opener:
    """Counts how often the OS keyring is opened; hands out one keyring in memory."""

    def __init__(self, store: SecretStore | None = None, problem: str | None = None) -> None:
        self.backend = MemoryKeyring()
        self.store = store or KeyringSecretStore(backend=self.backend)
        self.problem = problem
        self.calls = 0

    def __call__(self) -> tuple[SecretStore, str | None]:
        self.calls += 1
        return self.store, self.problem


def test_nothing_opens_the_keyring_before_a_secret_is_needed() -> None:
    opener = _Opener()
    secrets = SessionSecrets(opener)
    assert not secrets.opened and opener.calls == 0
    assert secrets.backend_name == NOT_OPENED  # says it has not looked yet
    assert secrets.persistent  # where Save would put a secret: the OS keyring


@pytest.mark.asyncio
async def test_session_secrets_never_reach_or_open_the_keyring() -> None:
    opener = _Opener()
    secrets = SessionSecrets(opener)
    secrets.keep_for_session("Local demo/listener", Secret("throw-away"))
    assert secrets.session_only("Local demo/listener")
    assert secrets.get("Local demo/listener") == Secret("throw-away")
    assert await secrets.get_async("Local demo/listener") == Secret("throw-away")
    await secrets.set_async("Local demo/listener", Secret("minted again"))
    assert secrets.get("Local demo/listener") == Secret("minted again")
    await secrets.delete_async("Local demo/listener")
    assert not secrets.session_only("Local demo/listener")
    assert opener.calls == 0 and opener.backend.items == {}
    assert "minted again" not in repr(secrets)


@pytest.mark.asyncio
async def test_other_secrets_open_the_keyring_once_and_live_there() -> None:
    opener = _Opener()
    secrets = SessionSecrets(opener)
    opened: list[str] = []
    secrets.on_open = lambda: opened.append(threading.current_thread().name)
    await secrets.set_async("Orders/listener", Secret("key"))
    assert await secrets.get_async("Orders/listener") == Secret("key")
    secrets.delete("Orders/listener")
    assert secrets.get("Orders/listener") is None
    secrets.set("Orders/sender", Secret("other"))
    assert opener.backend.items == {("relaydesk", "Orders/sender"): "other"}
    assert opener.calls == 1 and len(opened) == 1
    assert secrets.opened and secrets.problem is None
    assert secrets.backend_name == KeyringSecretStore(backend=opener.backend).backend_name


def test_without_a_keyring_the_problem_is_kept_and_secrets_are_session_only() -> None:
    secrets = SessionSecrets(_Opener(MemorySecretStore(), "No OS keyring backend is available."))
    assert secrets.open() is secrets.open()
    assert not secrets.persistent
    assert secrets.backend_name == "memory (this session only)"
    assert secrets.problem == "No OS keyring backend is available."


def test_opening_from_several_threads_opens_once() -> None:
    opener = _Opener()
    secrets = SessionSecrets(opener)
    threads = [threading.Thread(target=secrets.open) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert opener.calls == 1
