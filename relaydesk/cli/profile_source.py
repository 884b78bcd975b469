"""Read a saved profile and its secrets (OS keyring) for a CLI command.

``--profile NAME`` loads the profile the desktop app saved
(:class:`relaydesk.profiles.store.ProfileStore`, ``$RELAYDESK_CONFIG_DIR`` or the
platform's config directory) and reads the secrets of the identities the
command needs from the OS keyring, never from a file. Options given on the
command line win over the profile (see :func:`relaydesk.cli.credentials.resolve_target`,
which pairs each identity with its secret; this module knows nothing of the
CLI's options, so the two never import each other).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from relaydesk.errors import InvalidInput
from relaydesk.profiles.model import Profile, Role
from relaydesk.profiles.store import ProfileStore
from relaydesk.proxy import ProxySettings
from relaydesk.secrets import KeyringSecretStore, Secret

__all__ = ["LoadedProfile", "load_profile"]


@dataclass(frozen=True)
class LoadedProfile:
    """What a profile contributes: its identities, the secrets read, a CA file, a proxy.

    Attributes:
        profile: the saved profile (address and both identities, no secret).
        secrets: the secret of each role asked for (``None`` for anonymous).
        ca_file: the first CA file either identity names (the relay's too).
        proxy: the profile's proxy mode, with its password from the keyring.
    """

    profile: Profile
    secrets: Mapping[Role, Secret | None]
    ca_file: Path | None
    proxy: ProxySettings | None = None


def _secret(store: ProfileStore, profile: Profile, role: Role) -> Secret | None:
    """``role``'s secret from the keyring, worded for the CLI when it is missing.

    Raises:
        InvalidInput: the identity needs a secret and the keyring has none.
    """
    what = profile.identity(role).secret_name
    if what is None:
        return None
    secret = store.get_secret(profile, role)
    if secret is None or not secret:
        raise InvalidInput(
            f"{role}.secret",
            f"the keyring has no {what} for this profile's {role}; save it in the "
            f"desktop app or pass it with --client-secret-env / --sas-key-env",
        )
    return secret


def load_profile(
    name: str, *, roles: tuple[Role, ...], store: ProfileStore | None = None
) -> LoadedProfile:
    """Load profile ``name`` and the secrets of ``roles`` from the keyring.

    Args:
        name: the profile name.
        roles: the roles whose identity (and secret) is needed; the keyring
            is not touched when this is empty.
        store: the profile store (default: the user's, with the OS keyring).

    Raises:
        ProfileError: no such profile, or its file is corrupt.
        SecretStoreUnavailable: no usable OS keyring.
        InvalidInput: the profile is incomplete or a secret is missing.
    """
    if store is None:
        store = ProfileStore(_LazyKeyring())
    profile = store.load(name)
    secrets = {role: _secret(store, profile, role) for role in roles}
    ca_texts = [profile.identity(r).ca_file for r in ("listener", "sender")]
    ca_file = next((Path(text) for text in ca_texts if text), None)
    password = store.get_proxy_password(profile) if profile.proxy.username else None
    proxy = profile.proxy.settings(password)
    return LoadedProfile(profile=profile, secrets=secrets, ca_file=ca_file, proxy=proxy)


class _LazyKeyring:
    """Opens the OS keyring on first use, so a profile without secrets needs none."""

    def __init__(self) -> None:
        self._store: KeyringSecretStore | None = None

    def _open(self) -> KeyringSecretStore:
        if self._store is None:
            self._store = KeyringSecretStore()
        return self._store

    @property
    def backend_name(self) -> str:
        return self._open().backend_name

    @property
    def persistent(self) -> bool:
        return True

    def get(self, key: str) -> Secret | None:
        return self._open().get(key)

    def set(self, key: str, secret: Secret) -> None:
        self._open().set(key, secret)

    def delete(self, key: str) -> None:
        self._open().delete(key)

    async def get_async(self, key: str) -> Secret | None:
        return await self._open().get_async(key)

    async def set_async(self, key: str, secret: Secret) -> None:
        await self._open().set_async(key, secret)

    async def delete_async(self, key: str) -> None:
        await self._open().delete_async(key)
