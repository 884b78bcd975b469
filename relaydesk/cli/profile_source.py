"""Read a saved profile and its secrets (OS keyring) for a CLI command.

``--profile NAME`` loads the profile the desktop app saved
(:class:`relaydesk.profiles.ProfileStore`, ``$RELAYDESK_CONFIG_DIR`` or the
platform's config directory) and reads the secrets of the identities the
command needs from the OS keyring, never from a file. Options given on the
command line win over the profile (see :func:`relaydesk.cli.credentials.resolve_target`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from relaydesk.cli.credentials import (
    AnonymousIdentity,
    EntraIdentity,
    Identity,
    Role,
    SasKeyIdentity,
)
from relaydesk.errors import InvalidField, InvalidInput
from relaydesk.profiles import IdentityConfig, Profile, ProfileStore
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.secrets import KeyringSecretStore, Secret

__all__ = ["LoadedProfile", "identity_from_config", "load_profile"]


@dataclass(frozen=True)
class LoadedProfile:
    """What a profile contributes: address, identities (with secrets), CA file."""

    address: HybridConnectionAddress
    listener: Identity | None
    sender: Identity | None
    ca_file: Path | None


def identity_from_config(config: IdentityConfig, secret: Secret | None, *, role: Role) -> Identity:
    """Combine a profile identity with its secret.

    Raises:
        InvalidInput: the secret is missing from the keyring, or an anonymous
            listener was configured.
    """
    if config.kind == "anonymous":
        if role == "listener":
            raise InvalidField("listener.kind", "a listener always needs a token")
        return AnonymousIdentity()
    if secret is None or not secret:
        what = "client secret" if config.kind == "entra" else "SAS key"
        raise InvalidInput(
            f"{role}.secret",
            f"the keyring has no {what} for this profile's {role}; save it in the desktop "
            f"app or pass it with --client-secret-env / --sas-key-env",
        )
    if config.kind == "sas":
        return SasKeyIdentity(key_name=config.sas_key_name, key=secret)
    return EntraIdentity(
        tenant_id=config.tenant_id,
        client_id=config.client_id,
        secret=secret,
        authority_host=config.authority_host,
        cloud=config.cloud,
        scope=config.scope,
        ca_file=Path(config.ca_file) if config.ca_file else None,
    )


def _identity(store: ProfileStore, profile: Profile, role: Role) -> Identity:
    config = profile.identity(role)
    secret = None if config.kind == "anonymous" else store.get_secret(profile, role)
    return identity_from_config(config, secret, role=role)


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
    identities = {role: _identity(store, profile, role) for role in roles}
    ca_texts = [profile.identity(r).ca_file for r in ("listener", "sender")]
    ca_file = next((Path(text) for text in ca_texts if text), None)
    return LoadedProfile(
        address=profile.parsed_address(),
        listener=identities.get("listener"),
        sender=identities.get("sender"),
        ca_file=ca_file,
    )


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
