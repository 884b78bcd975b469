"""The profile store: one JSON file per profile, secrets in a SecretStore.

:class:`ProfileStore` keeps one JSON file per profile in
``platformdirs.user_config_dir("relaydesk")/profiles`` (or
``$RELAYDESK_CONFIG_DIR/profiles``), writes atomically, validates before it
writes, and moves or deletes the keyring entries when a profile is renamed or
deleted, so a secret never outlives or loses its profile. It also remembers
the last used profile and imports §9.2 connection strings as SAS profiles.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import platformdirs

from relaydesk.atomic_files import write_atomically
from relaydesk.errors import InvalidField, InvalidInput, ProfileError
from relaydesk.profiles.model import (
    PROXY_SECRET_SLOT,
    ROLES,
    IdentityConfig,
    Profile,
    Role,
    profile_from_json,
    profile_to_json,
)
from relaydesk.profiles.validation import check_name, validate_or_raise
from relaydesk.protocol.connection_string import parse_connection_string
from relaydesk.secrets import Secret, SecretStore, secret_key

__all__ = ["CONFIG_DIR_ENV", "ProfileStore", "default_config_dir", "profile_file_name"]

CONFIG_DIR_ENV = "RELAYDESK_CONFIG_DIR"
#: Every secret a profile may own: the identities' and the proxy password.
_SECRET_SLOTS: tuple[str, ...] = (*ROLES, PROXY_SECRET_SLOT)


def default_config_dir() -> Path:
    """``$RELAYDESK_CONFIG_DIR``, else the platform's user config dir for relaydesk."""
    override = os.environ.get(CONFIG_DIR_ENV, "").strip()
    return Path(override) if override else Path(platformdirs.user_config_dir("relaydesk"))


def profile_file_name(name: str) -> str:
    """A file name that is safe for any profile name on every platform.

    An ASCII slug (for humans) plus a hash of the exact name (for
    uniqueness, also on case-insensitive file systems), e.g.
    ``local-demo-3f2a9c1b.json``. Reserved device names cannot occur.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or "profile"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}.json"


def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``."""
    try:
        write_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot write {path}: {exc.strerror or exc}") from None


class ProfileStore:
    """Profiles as JSON files, their secrets in a :class:`SecretStore`.

    Methods are synchronous (small files; keyring calls take ~10 ms); a GUI
    may run them with :func:`asyncio.to_thread`.

    Args:
        secrets: where the identities' secrets live.
        config_dir: the config directory; default :func:`default_config_dir`.
    """

    def __init__(self, secrets: SecretStore, config_dir: Path | None = None) -> None:
        self._secrets = secrets
        self._config_dir = config_dir if config_dir is not None else default_config_dir()
        self._dir = self._config_dir / "profiles"
        self._state = self._config_dir / "state.json"

    @property
    def directory(self) -> Path:
        return self._dir

    @property
    def secrets(self) -> SecretStore:
        return self._secrets

    def path_for(self, name: str) -> Path:
        return self._dir / profile_file_name(name.strip())

    def exists(self, name: str) -> bool:
        return self.path_for(name).is_file()

    def scan(self) -> tuple[list[Profile], list[ProfileError]]:
        """Load every profile; corrupt files are returned as errors, not raised."""
        profiles: list[Profile] = []
        errors: list[ProfileError] = []
        for path in sorted(self._dir.glob("*.json")) if self._dir.is_dir() else []:
            try:
                profiles.append(self._read(path))
            except ProfileError as exc:
                errors.append(exc)
        profiles.sort(key=lambda p: p.name.casefold())
        return profiles, errors

    def list(self) -> list[str]:
        """Names of the loadable profiles, sorted case-insensitively."""
        return [profile.name for profile in self.scan()[0]]

    def _read(self, path: Path) -> Profile:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"cannot read the profile file {path}: {exc}") from None
        return profile_from_json(text, source=f"the profile file {path}")

    def load(self, name: str) -> Profile:
        """Raises: ProfileError (no such profile, or its file is corrupt)."""
        path = self.path_for(name)
        if not path.is_file():
            raise ProfileError(f"there is no profile named {name.strip()!r}")
        return self._read(path)

    def save(self, profile: Profile, *, overwrite: bool = True) -> Profile:
        """Validate, normalise and write ``profile``; return what was written.

        Raises:
            InvalidField: the profile is invalid (first problem).
            ProfileError: it exists and ``overwrite`` is false, or writing failed.
        """
        profile = validate_or_raise(profile)
        path = self.path_for(profile.name)
        if not overwrite and path.exists():
            raise ProfileError(f"a profile named {profile.name!r} already exists")
        _atomic_write(path, profile_to_json(profile))
        return profile

    # --- secrets ---------------------------------------------------------------

    def set_secret(self, name: str, role: Role, secret: Secret) -> None:
        self._secrets.set(secret_key(name.strip(), role), secret)

    def get_secret(self, profile: Profile, role: Role) -> Secret | None:
        """The secret ``role`` uses (the listener's when the sender shares it)."""
        return self._secrets.get(profile.secret_key(role))

    def set_proxy_password(self, name: str, password: Secret | None) -> None:
        """Keep (or with ``None`` forget) the proxy password of profile ``name``."""
        key = secret_key(name.strip(), PROXY_SECRET_SLOT)
        if password:
            self._secrets.set(key, password)
        else:
            self._secrets.delete(key)

    def get_proxy_password(self, profile: Profile) -> Secret | None:
        """The proxy password of ``profile``, if one is stored."""
        return self._secrets.get(secret_key(profile.name, PROXY_SECRET_SLOT))

    def _move_secrets(self, old: str, new: str, *, keep_old: bool) -> None:
        for role in _SECRET_SLOTS:
            value = self._secrets.get(secret_key(old, role))
            if value is not None:
                self._secrets.set(secret_key(new, role), value)
                if not keep_old:
                    self._secrets.delete(secret_key(old, role))

    # --- rename / duplicate / delete ---------------------------------------------

    def _check_new_name(self, new_name: str) -> str:
        reason = check_name(new_name)
        if reason:
            raise InvalidField("name", reason)
        if self.exists(new_name):
            raise ProfileError(f"a profile named {new_name.strip()!r} already exists")
        return new_name.strip()

    def rename(self, old_name: str, new_name: str) -> Profile:
        """Rename a profile and move its keyring entries.

        Order: write the new file, copy the secrets, then delete the old
        entries and the old file, so a failure never loses a secret.
        """
        profile = self.load(old_name)
        new_name = self._check_new_name(new_name)
        renamed = self.save(replace(profile, name=new_name), overwrite=False)
        self._move_secrets(profile.name, new_name, keep_old=False)
        self.path_for(profile.name).unlink(missing_ok=True)
        if self.last_used() == profile.name:
            self.set_last_used(new_name)
        return renamed

    def duplicate(self, name: str, new_name: str, *, copy_secrets: bool = True) -> Profile:
        """Copy a profile (and, by default, its secrets) under a new name."""
        profile = self.load(name)
        new_name = self._check_new_name(new_name)
        copy = self.save(replace(profile, name=new_name), overwrite=False)
        if copy_secrets:
            self._move_secrets(profile.name, new_name, keep_old=True)
        return copy

    def delete(self, name: str) -> None:
        """Delete a profile file and its keyring entries (missing ones are fine)."""
        path = self.path_for(name)
        if not path.is_file():
            raise ProfileError(f"there is no profile named {name.strip()!r}")
        for role in _SECRET_SLOTS:
            self._secrets.delete(secret_key(name.strip(), role))
        try:
            path.unlink()
        except OSError as exc:
            raise ProfileError(f"cannot delete {path}: {exc.strerror or exc}") from None
        if self.last_used() == name.strip():
            self.set_last_used(None)

    # --- last used -----------------------------------------------------------------

    def last_used(self) -> str | None:
        """The last used profile name, or ``None`` (unreadable state is ignored)."""
        try:
            data = json.loads(self._state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        value = data.get("last_profile") if isinstance(data, dict) else None
        return value if isinstance(value, str) else None

    def set_last_used(self, name: str | None) -> None:
        _atomic_write(self._state, json.dumps({"last_profile": name}) + "\n")

    # --- import / export -------------------------------------------------------------

    def import_connection_string(
        self, text: str, name: str, *, entity_path: str | None = None
    ) -> Profile:
        """Create a SAS profile from a connection string; the key goes to the store.

        The sender shares the listener's rule. A connection string with only
        ``SharedAccessSignature`` is refused: that signature expires and
        cannot be renewed, so it does not belong in a saved profile.

        Raises:
            InvalidConnectionString, InvalidField, ProfileError.
        """
        parsed = parse_connection_string(text)
        if not parsed.key_name or not parsed.key:
            raise InvalidField(
                "connection_string",
                "this connection string holds a fixed SharedAccessSignature, which expires; "
                "use one with SharedAccessKeyName and SharedAccessKey",
            )
        try:
            address = parsed.address(entity_path)
        except InvalidInput as exc:
            raise InvalidField("address", exc.reason) from None
        identity = IdentityConfig(kind="sas", sas_key_name=parsed.key_name)
        profile = Profile(
            name=name, address=address.sb_uri, listener=identity, sender_same_as_listener=True
        )
        saved = self.save(profile, overwrite=False)
        self.set_secret(saved.name, "listener", Secret(parsed.key))
        return saved

    def export_json(self, name: str) -> str:
        """The profile as shareable JSON: never a secret (they stay in the store)."""
        return profile_to_json(self.load(name))

    def import_json(self, text: str, *, name: str | None = None) -> Profile:
        """Save an exported profile (optionally renamed); its secrets must be entered anew."""
        profile = profile_from_json(text, source="the imported profile")
        if name is not None:
            profile = replace(profile, name=name)
        return self.save(profile, overwrite=False)
