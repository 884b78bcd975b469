"""Where a signed-in user's MSAL token cache (refresh tokens) lives between runs.

Signed in once: MSAL's serialized cache is persisted through msal-extensions'
:class:`~msal_extensions.PersistedTokenCache` (a cross-process file lock, a
reload when another process wrote, a save on every change), encrypted at rest
by the OS, never a plaintext file:

* Windows: :class:`~msal_extensions.FilePersistenceWithDataProtection` (a DPAPI
  encrypted file; the credential store's ~2.5 KB per-item limit would be too
  small for a cache with a few accounts);
* macOS: :class:`~msal_extensions.KeychainPersistence`;
* Linux and the rest: :class:`KeyringPersistence`, one item in the OS keyring
  (the Secret Service) through the ``keyring`` package RelayDesk already uses.
  msal-extensions' own ``LibsecretPersistence`` needs PyGObject, which does not
  install from PyPI without a C tool chain and GObject introspection headers.

Without a usable keyring, :func:`open_user_cache` says so and returns a cache
kept in memory for this process only (:attr:`UserTokenCache.persistent` is
``False`` and :attr:`UserTokenCache.where` says it plainly).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msal
from msal_extensions import PersistedTokenCache
from msal_extensions.persistence import BasePersistence, PersistenceNotFound

from relaydesk.errors import SecretStoreError
from relaydesk.secrets import KeyringSecretStore, Secret

__all__ = ["CACHE_KEY", "KeyringPersistence", "UserTokenCache", "open_user_cache", "sign_out"]

#: Prefix of the keyring entries (service ``relaydesk``) holding serialized caches.
CACHE_KEY = "msal-token-cache"
_DIR = "sign-in"


class KeyringPersistence(BasePersistence):  # type: ignore[misc]
    """An msal-extensions persistence in the OS keyring.

    The keyring has no modification time, so a small signal file in the
    config dir (no secret in it) is touched on every save; msal-extensions
    compares its time to decide when to reload, and locks next to it.
    """

    is_encrypted = True

    def __init__(self, store: KeyringSecretStore, key: str, signal_location: Path) -> None:
        self._store = store
        self._key = key
        self._signal = signal_location

    def save(self, content: str) -> None:
        self._store.set(self._key, Secret(content))
        self._signal.parent.mkdir(parents=True, exist_ok=True)
        self._signal.touch()

    def load(self) -> str:
        value = self._store.get(self._key)
        if value is None:
            raise PersistenceNotFound(message="no signed-in user", location=self._key)
        return value.reveal()

    def time_last_modified(self) -> float:
        try:
            return self._signal.stat().st_mtime
        except FileNotFoundError:
            raise PersistenceNotFound(location=str(self._signal)) from None

    def get_location(self) -> str:
        return str(self._signal)


@dataclass(frozen=True)
class UserTokenCache:
    """A token cache for MSAL public-client apps, and where it is kept.

    Attributes:
        cache: hand it to ``msal.PublicClientApplication(token_cache=…)``.
        persistent: the sign-in survives this process.
        where: one line for the user: where the sign-in is kept.
        persistence: the msal-extensions persistence behind ``cache`` (or None).
    """

    cache: Any
    persistent: bool
    where: str
    persistence: Any = None


def _persistence(config_dir: Path, slot: str, store: KeyringSecretStore | None) -> Any:
    from msal_extensions import FilePersistenceWithDataProtection, KeychainPersistence

    stem = config_dir / _DIR / hashlib.sha256(slot.encode()).hexdigest()[:24]
    key = f"{CACHE_KEY}/{slot}"
    if sys.platform.startswith("win"):
        return FilePersistenceWithDataProtection(str(stem.with_suffix(".bin")))
    if sys.platform.startswith("darwin"):
        return KeychainPersistence(str(stem.with_suffix(".signal")), "relaydesk", key)
    return KeyringPersistence(store or KeyringSecretStore(), key, stem.with_suffix(".signal"))


def open_user_cache(
    config_dir: Path, slot: str, *, store: KeyringSecretStore | None = None
) -> UserTokenCache:
    """The persisted cache of one identity, or an in-memory one when no keyring can keep it.

    Args:
        config_dir: RelayDesk's config dir (signal and lock files; DPAPI file).
        slot: whose sign-in: the profile's secret key (``"Profile/listener"``),
            so that each identity keeps its own account.
        store: the keyring to use on Linux (default: the OS keyring).
    """
    try:
        persistence = _persistence(config_dir, slot, store)
        if isinstance(persistence, KeyringPersistence):
            _probe(persistence)
    except (SecretStoreError, OSError, ImportError) as exc:
        reason = str(exc).strip().rstrip(".") or type(exc).__name__
        return UserTokenCache(
            msal.SerializableTokenCache(),
            False,
            f"in memory for this session only: no usable OS keyring ({reason})",
        )
    where = f"in the OS keyring ({_describe(persistence)})"
    return UserTokenCache(PersistedTokenCache(persistence), True, where, persistence)


def _probe(persistence: KeyringPersistence) -> None:
    """Touch the keyring once, so an unusable one is found now, not mid sign-in."""
    with contextlib.suppress(PersistenceNotFound):
        persistence.load()


def _describe(persistence: Any) -> str:
    if isinstance(persistence, KeyringPersistence):
        return "Secret Service" if os.name == "posix" else "keyring"
    return type(persistence).__name__


def sign_out(cache: UserTokenCache, username: str | None = None) -> list[str]:
    """Remove ``username``'s account and every token of it (all accounts when None).

    Works on the cache itself (no network), so it works while the authority is
    unreachable. Returns the user names removed.
    """
    if cache.persistence is not None:
        with contextlib.suppress(PersistenceNotFound):
            cache.cache.deserialize(cache.persistence.load())  # the freshest state first
    state: dict[str, Any] = json.loads(cache.cache.serialize() or "{}")
    accounts = state.get("Account", {})
    gone = {
        entry.get("home_account_id"): entry.get("username", "?")
        for entry in accounts.values()
        if username is None or str(entry.get("username", "")).lower() == username.lower()
    }
    for section in ("Account", "AccessToken", "RefreshToken", "IdToken"):
        entries = state.get(section, {})
        state[section] = {k: v for k, v in entries.items() if v.get("home_account_id") not in gone}
    text = json.dumps(state)
    cache.cache.deserialize(text)
    if cache.persistence is not None:
        cache.persistence.save(text)
    return sorted(str(name) for name in gone.values())
