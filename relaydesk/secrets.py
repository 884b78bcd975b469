"""Secrets: a redacting :class:`Secret` type and the OS keyring behind a protocol.

RelayDesk keeps client secrets and SAS keys only in the OS secret store
(product principle 6): never in profile files, logs, events or exports. This
module is the one place that talks to :mod:`keyring`.

Design choices (architecture-and-style §2.7):

* No silent plaintext fallback. When no usable OS keyring exists,
  :class:`KeyringSecretStore` raises :class:`SecretStoreUnavailable` with the
  cause and the remedy; the caller may then use a :class:`MemorySecretStore`,
  which is clearly labelled as session-only.
* ``keyring.backends.null.Keyring`` silently drops writes, so it counts as
  "no keyring" (platform notes, "keyring on Linux"); so do the ``fail``
  backend and a chainer without backends. ``keyrings.alt`` is never used.
* keyring calls block (D-Bus round trips, possibly an unlock prompt), so the
  ``*_async`` wrappers run them in a worker thread with
  :func:`asyncio.to_thread`.

Entries are stored under the service name (``"relaydesk"``) with the username
``"{profile}/{role}"`` (see :func:`secret_key`), one per profile and identity.

(This module is ``relaydesk.secrets``; absolute imports keep the standard
library's ``secrets`` module reachable as ``import secrets``.)
"""

from __future__ import annotations

import asyncio
import hmac
import os
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, runtime_checkable

from relaydesk.errors import KeyringBackendInvalid, SecretStoreError, SecretStoreUnavailable

if TYPE_CHECKING:
    import keyring.backend

# keyring itself is imported where a KeyringSecretStore is used, not here: the
# Secret type is needed everywhere (profiles, the GUI at start-up) and keyring
# costs ~70 ms to import.

__all__ = [
    "DEFAULT_SERVICE",
    "KeyringSecretStore",
    "MemorySecretStore",
    "Secret",
    "SecretStore",
    "secret_key",
]

#: The keyring "service" under which every RelayDesk entry is stored.
DEFAULT_SERVICE = "relaydesk"

_REDACTED = "Secret('***')"


class Secret:
    """A secret string whose ``repr``/``str``/format never show the value.

    Use :meth:`reveal` at the single point where the value goes on the wire
    (HMAC key, MSAL credential, header). Pickling is refused so a secret
    cannot slip into a serialised log record or a session export.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise SecretStoreError("a Secret wraps text (str)")
        self._value = value

    def reveal(self) -> str:
        """Return the secret value. Call only where it must be used."""
        return self._value

    def __repr__(self) -> str:
        return _REDACTED

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return _REDACTED

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or serialised")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self


def secret_key(profile: str, role: str) -> str:
    """Return the store key for one profile's identity, e.g. ``"Local demo/listener"``.

    Args:
        profile: the profile name (any text; it is not escaped, keyring
            usernames are free text).
        role: ``"listener"`` or ``"sender"``.
    """
    return f"{profile}/{role}"


@runtime_checkable
class SecretStore(Protocol):
    """Where secrets live. Keys are :func:`secret_key` strings.

    Sync methods may block (D-Bus); the ``*_async`` variants are safe to await
    from the event loop. ``delete`` of a missing key is not an error.
    """

    @property
    def backend_name(self) -> str:
        """A name for the UI status bar, e.g. ``"Secret Service"``."""
        ...

    @property
    def persistent(self) -> bool:
        """True when secrets survive the process (an OS keyring)."""
        ...

    def get(self, key: str) -> Secret | None: ...

    def set(self, key: str, secret: Secret) -> None: ...

    def delete(self, key: str) -> None: ...

    async def get_async(self, key: str) -> Secret | None: ...

    async def set_async(self, key: str, secret: Secret) -> None: ...

    async def delete_async(self, key: str) -> None: ...


class MemorySecretStore:
    """Session-only secrets held in this process's memory (never on disk).

    Used as the explicit, labelled fallback when no OS keyring is usable, and
    in tests. Everything is lost when the process exits.
    """

    def __init__(self) -> None:
        self._values: dict[str, Secret] = {}

    @property
    def backend_name(self) -> str:
        return "memory (this session only)"

    @property
    def persistent(self) -> bool:
        return False

    def keys(self) -> list[str]:
        """Return the stored keys (never the values), sorted."""
        return sorted(self._values)

    def get(self, key: str) -> Secret | None:
        return self._values.get(key)

    def set(self, key: str, secret: Secret) -> None:
        self._values[key] = secret

    def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def get_async(self, key: str) -> Secret | None:
        return self.get(key)

    async def set_async(self, key: str, secret: Secret) -> None:
        self.set(key, secret)

    async def delete_async(self, key: str) -> None:
        self.delete(key)

    def __repr__(self) -> str:
        return f"MemorySecretStore({len(self._values)} entries)"


_BACKEND_NAMES = {
    "keyring.backends.SecretService.Keyring": "Secret Service",
    "keyring.backends.libsecret.Keyring": "Secret Service (libsecret)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet 4",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Locker",
}


def _describe_backend(backend: keyring.backend.KeyringBackend) -> str:
    from keyring.backends import chainer

    cls = type(backend)
    qualified = f"{cls.__module__}.{cls.__qualname__}"
    if isinstance(backend, chainer.ChainerBackend):
        return " + ".join(_describe_backend(b) for b in backend.backends) or "none"
    return _BACKEND_NAMES.get(qualified, getattr(backend, "name", cls.__qualname__))


def _unusable_reason(backend: keyring.backend.KeyringBackend) -> str | None:
    """Why ``backend`` cannot keep secrets, or ``None`` when it looks usable."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring):
        return "No OS keyring backend is available (no Secret Service on the D-Bus session?)."
    if isinstance(backend, null.Keyring):
        return "The keyring backend is the 'null' keyring, which silently discards secrets."
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "No OS keyring backend is available."
    module = type(backend).__module__
    if module.startswith("keyrings.alt"):
        return "The keyrings.alt backends store secrets in files; RelayDesk does not use them."
    return None


#: The environment variable through which keyring lets a user pick a backend.
BACKEND_VARIABLE = "PYTHON_KEYRING_BACKEND"


def _configured_backend() -> keyring.backend.KeyringBackend:
    """keyring's backend, as the environment or ``keyringrc.cfg`` configures it.

    keyring imports a configured backend by name and lets a name that does
    not load escape as ``ImportError``/``AttributeError``/``ValueError``.

    Raises:
        KeyringBackendInvalid: :data:`BACKEND_VARIABLE` names no loadable backend.
        SecretStoreUnavailable: ``keyringrc.cfg`` names none.
    """
    import keyring

    try:
        return keyring.get_keyring()
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        cause = f"{type(exc).__name__}: {exc}"
        name = os.environ.get(BACKEND_VARIABLE)
        if name is not None:
            raise KeyringBackendInvalid(
                BACKEND_VARIABLE,
                f"{name!r} names no keyring backend that can be loaded ({cause}); unset it "
                "or name an installed one, e.g. keyring.backends.SecretService.Keyring",
            ) from None
        raise SecretStoreUnavailable(
            f"The keyring configuration names no backend that can be loaded ({cause})."
        ) from None


class KeyringSecretStore:
    """Secrets in the OS keyring (Secret Service, Keychain, Credential Locker).

    Args:
        service: the keyring service name.
        backend: a keyring backend instance; default ``keyring.get_keyring()``.
            Passing one (e.g. ``keyring.backends.SecretService.Keyring()``)
            avoids changing keyring's process-wide default.

    Raises:
        SecretStoreUnavailable: the backend cannot keep secrets (fail, null,
            empty chainer, keyrings.alt). The message says why and what to do.
        KeyringBackendInvalid: ``PYTHON_KEYRING_BACKEND`` names no backend.
    """

    def __init__(
        self,
        service: str = DEFAULT_SERVICE,
        *,
        backend: keyring.backend.KeyringBackend | None = None,
    ) -> None:
        if not service:
            raise SecretStoreError("the keyring service name must not be empty")
        self._service = service
        self._backend = _configured_backend() if backend is None else backend
        reason = _unusable_reason(self._backend)
        if reason is not None:
            raise SecretStoreUnavailable(reason)

    @property
    def service(self) -> str:
        return self._service

    @property
    def backend_name(self) -> str:
        return _describe_backend(self._backend)

    @property
    def persistent(self) -> bool:
        return True

    def get(self, key: str) -> Secret | None:
        try:
            value = self._backend.get_password(self._service, key)
        except Exception as exc:  # noqa: BLE001 - see _raise_store_error
            _raise_store_error("read", key, exc)
        return None if value is None else Secret(value)

    def set(self, key: str, secret: Secret) -> None:
        try:
            self._backend.set_password(self._service, key, secret.reveal())
        except Exception as exc:  # noqa: BLE001 - see _raise_store_error
            _raise_store_error("save", key, exc)

    def delete(self, key: str) -> None:
        import keyring.errors

        try:
            self._backend.delete_password(self._service, key)
        except keyring.errors.PasswordDeleteError:
            return  # nothing stored under this key: deleting is idempotent
        except Exception as exc:  # noqa: BLE001 - see _raise_store_error
            _raise_store_error("delete", key, exc)

    async def get_async(self, key: str) -> Secret | None:
        return await asyncio.to_thread(self.get, key)

    async def set_async(self, key: str, secret: Secret) -> None:
        await asyncio.to_thread(self.set, key, secret)

    async def delete_async(self, key: str) -> None:
        await asyncio.to_thread(self.delete, key)

    def __repr__(self) -> str:
        return f"KeyringSecretStore(service={self._service!r}, backend={self.backend_name!r})"


def _raise_store_error(action: str, key: str, exc: Exception) -> NoReturn:
    """Translate a backend failure into the typed errors.

    keyring backends raise their own ``KeyringError`` subclasses but also raw
    D-Bus, COM or Security-framework errors (secretstorage, jeepney,
    pywin32-ctypes), hence the broad ``except`` at the call sites. Locked or
    absent keyrings and D-Bus failures mean "unavailable"; other keyring
    errors are plain store errors. The exception text of a backend never
    contains the password, but only its class name and message are kept.
    """
    import keyring.errors

    cause = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    unavailable = isinstance(
        exc, keyring.errors.NoKeyringError | keyring.errors.KeyringLocked | keyring.errors.InitError
    ) or not isinstance(exc, keyring.errors.KeyringError)
    if unavailable:
        raise SecretStoreUnavailable(
            f"Could not {action} the secret {key!r} in the OS keyring ({cause})."
        ) from exc
    raise SecretStoreError(
        f"Could not {action} the secret {key!r} in the OS keyring ({cause})."
    ) from exc
