"""The window's secret store: the OS keyring, opened on first use, and session-only secrets.

Opening the OS keyring imports keyring, which discovers its backends through
entry points and imports each of them (the Secret Service one brings
secretstorage, jeepney and cryptography: ~11 MiB resident in all). A window
that only runs the demo never needs it: the demo's two client secrets are
minted by its emulator at every start and are useless once it stops, so
they are kept for this session only (:meth:`SessionSecrets.keep_for_session`)
instead of being written into the user's keyring (where a locked keyring
would even ask to be unlocked for them). Every other secret goes to the OS
keyring exactly as before; when there is none, to memory for this session,
with the reason (``problem``), never to disk.

The keyring is opened by the first read, save or delete of a secret that is
not session-only, or by :meth:`SessionSecrets.open` (the editor, the
self-test). keyring calls block, so callers on the event loop use the
``*_async`` methods or a worker thread; opening is guarded by a lock.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from relaydesk.errors import SecretStoreError
from relaydesk.secrets import MemorySecretStore, Secret, SecretStore

__all__ = ["NOT_OPENED", "SessionSecrets", "open_secret_store"]

log = logging.getLogger(__name__)

#: What the window says about the OS keyring before anything has needed it.
NOT_OPENED = "OS keyring, checked on first use"


def open_secret_store() -> tuple[SecretStore, str | None]:
    """Return (store, problem): the OS keyring, or memory plus the reason why not."""
    from relaydesk.secrets import KeyringSecretStore

    try:
        return KeyringSecretStore(), None
    except SecretStoreError as exc:  # unavailable, or failing: never fall back to disk
        log.info("no usable keyring: %s", exc)
        return MemorySecretStore(), str(exc)


class SessionSecrets:
    """A :class:`~relaydesk.secrets.SecretStore` over the lazily opened OS keyring.

    Args:
        opener: returns (store, problem); default :func:`open_secret_store`.
    """

    def __init__(
        self, opener: Callable[[], tuple[SecretStore, str | None]] = open_secret_store
    ) -> None:
        self._opener = opener
        self._store: SecretStore | None = None
        self._lock = threading.Lock()
        self._session = MemorySecretStore()
        self.problem: str | None = None  # why secrets are in memory, once opened
        self.on_open: Callable[[], None] | None = None  # called in the opening thread

    @property
    def opened(self) -> bool:
        """True once the OS keyring (or its in-memory stand-in) has been opened."""
        return self._store is not None

    def open(self) -> SecretStore:
        """Open the OS keyring if not yet done (blocks: call it in a worker thread)."""
        with self._lock:
            if self._store is None:
                self._store, self.problem = self._opener()
                if self.on_open is not None:
                    self.on_open()
            return self._store

    async def open_async(self) -> SecretStore:
        """:meth:`open` in a worker thread."""
        return await asyncio.to_thread(self.open)

    def keep_for_session(self, key: str, secret: Secret) -> None:
        """Hold ``key`` in memory only, never in the keyring (throw-away secrets)."""
        self._session.set(key, secret)

    def session_only(self, key: str) -> bool:
        """True when ``key`` is held for this session only."""
        return self._session.get(key) is not None

    @property
    def backend_name(self) -> str:
        return NOT_OPENED if self._store is None else self._store.backend_name

    @property
    def persistent(self) -> bool:
        """Where Save puts a secret: the OS keyring, unless opening it showed there is none."""
        return self._store is None or self._store.persistent

    def get(self, key: str) -> Secret | None:
        if self.session_only(key):
            return self._session.get(key)
        return self.open().get(key)

    def set(self, key: str, secret: Secret) -> None:
        if self.session_only(key):
            self._session.set(key, secret)
        else:
            self.open().set(key, secret)

    def delete(self, key: str) -> None:
        if self.session_only(key):
            self._session.delete(key)
        else:
            self.open().delete(key)

    async def get_async(self, key: str) -> Secret | None:
        if self.session_only(key):
            return self._session.get(key)
        return await asyncio.to_thread(self.get, key)

    async def set_async(self, key: str, secret: Secret) -> None:
        if self.session_only(key):
            self._session.set(key, secret)
        else:
            await asyncio.to_thread(self.set, key, secret)

    async def delete_async(self, key: str) -> None:
        if self.session_only(key):
            self._session.delete(key)
        else:
            await asyncio.to_thread(self.delete, key)

    def __repr__(self) -> str:
        return f"SessionSecrets({self.backend_name!r}, {self._session!r})"
