"""Profiles: a hybrid connection plus the listener and sender identities.

A :class:`Profile` never holds a secret or a token (product principle 6): the
client secret / SAS key of each identity lives in a
:class:`~relaydesk.secrets.SecretStore` under :func:`~relaydesk.secrets.secret_key`
``(profile name, role)``. :class:`ProfileStore` keeps one JSON file per
profile in ``platformdirs.user_config_dir("relaydesk")/profiles`` (or
``$RELAYDESK_CONFIG_DIR/profiles``), writes atomically, and moves or deletes
the keyring entries when a profile is renamed or deleted.

Validation returns every problem at once (:func:`validate`), each an
:class:`InvalidField` whose ``field`` names the form field
(``"address"``, ``"listener.client_id"`` …), so a form can mark them all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast, get_args
from urllib.parse import urlsplit

import platformdirs

from relaydesk.auth.clouds import CLOUDS, DEFAULT_CLOUD
from relaydesk.errors import InvalidAddress, InvalidField, InvalidInput, ProfileError
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.connection_string import parse_connection_string
from relaydesk.secrets import Secret, SecretStore, secret_key

__all__ = [
    "CONFIG_DIR_ENV",
    "ROLES",
    "IdentityConfig",
    "IdentityKind",
    "Profile",
    "ProfileStore",
    "Role",
    "default_config_dir",
    "normalise_address",
    "profile_file_name",
    "profile_from_json",
    "profile_to_json",
    "validate",
    "validate_or_raise",
]

IdentityKind = Literal["entra", "sas", "anonymous"]
Role = Literal["listener", "sender"]
ROLES: tuple[Role, ...] = ("listener", "sender")
CONFIG_DIR_ENV = "RELAYDESK_CONFIG_DIR"
_FORMAT = "relaydesk.profile"
_VERSION = 1
_NAME_MAX = 100

_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$"
)
_KEY_NAME_RE = re.compile(r"^[A-Za-z0-9._\-]{1,256}$")


@dataclass(frozen=True)
class IdentityConfig:
    """Who a listener or sender is, without the secret.

    Attributes:
        kind: ``"entra"`` (client credentials), ``"sas"`` or ``"anonymous"``
            (senders only).
        tenant_id, client_id, cloud, authority_host, ca_file, scope: Entra
            settings; ``authority_host``/``scope`` ``None`` use the cloud's
            defaults; ``ca_file`` is an extra CA to trust (emulator, proxy).
        sas_key_name: the SAS rule name (``skn``).
    """

    kind: IdentityKind = "entra"
    tenant_id: str = ""
    client_id: str = ""
    cloud: str = DEFAULT_CLOUD
    authority_host: str | None = None
    ca_file: str | None = None
    scope: str | None = None
    sas_key_name: str = ""

    def describe(self) -> str:
        """A one-line summary for the UI (no secret)."""
        if self.kind == "entra":
            return f"Entra app {self.client_id or '?'}"
        if self.kind == "sas":
            return f"SAS rule '{self.sas_key_name or '?'}'"
        return "anonymous"


@dataclass(frozen=True)
class Profile:
    """A named hybrid connection and its two identities. Never a secret.

    Attributes:
        name: the display name, also the key of its secrets.
        address: the hybrid connection address text (normalised to
            ``sb://namespace/entity`` by :meth:`normalised`).
        listener: the listener's identity.
        sender: the sender's identity (ignored when ``sender_same_as_listener``).
        sender_same_as_listener: the sender uses the listener's identity and secret.
    """

    name: str
    address: str
    listener: IdentityConfig = field(default_factory=IdentityConfig)
    sender: IdentityConfig = field(default_factory=IdentityConfig)
    sender_same_as_listener: bool = False

    def identity(self, role: Role) -> IdentityConfig:
        """The identity actually used for ``role``."""
        if role == "sender" and not self.sender_same_as_listener:
            return self.sender
        return self.listener

    def secret_role(self, role: Role) -> Role:
        """The role whose store entry holds ``role``'s secret."""
        return "listener" if self.sender_same_as_listener else role

    def secret_key(self, role: Role) -> str:
        """The :class:`SecretStore` key of ``role``'s secret."""
        return secret_key(self.name, self.secret_role(role))

    def parsed_address(self) -> HybridConnectionAddress:
        """Raises: InvalidAddress."""
        return HybridConnectionAddress.parse(self.address)

    def normalised(self) -> Profile:
        """The same profile with a trimmed name and a canonical address.

        Raises:
            InvalidAddress: the address does not parse.
        """
        return replace(self, name=self.name.strip(), address=self.parsed_address().sb_uri)


# --- validation -------------------------------------------------------------------


def normalise_address(text: str) -> str:
    """Return ``sb://namespace/entity`` for any pasted address form (§1).

    Raises:
        InvalidField: ``field="address"``.
    """
    try:
        return HybridConnectionAddress.parse(text).sb_uri
    except InvalidAddress as exc:
        raise InvalidField("address", exc.reason) from None


def _check_name(name: str) -> str | None:
    stripped = name.strip()
    if not stripped:
        return "the profile name is empty"
    if len(stripped) > _NAME_MAX:
        return f"the profile name is longer than {_NAME_MAX} characters"
    if any(unicodedata.category(ch).startswith("C") for ch in stripped):
        return "the profile name contains control characters"
    return None


def _check_tenant(value: str) -> str | None:
    value = value.strip()
    if not value:
        return "enter the tenant id (a GUID) or a verified domain such as contoso.onmicrosoft.com"
    if _GUID_RE.match(value) or _DOMAIN_RE.match(value):
        return None
    return "the tenant must be a GUID or a domain such as contoso.onmicrosoft.com"


def _check_guid(value: str, what: str) -> str | None:
    if _GUID_RE.match(value.strip()):
        return None
    return f"the {what} must be a GUID like 00000000-0000-0000-0000-000000000000"


def _check_authority(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme != "https" or not parts.hostname:
        return "the authority host must be an https:// URL, e.g. https://login.microsoftonline.com"
    if parts.path.strip("/") or parts.query or parts.fragment:
        return "give only the authority host (https://host[:port]); the tenant is added for you"
    return None


def _entra_problems(identity: IdentityConfig) -> Iterator[tuple[str, str | None]]:
    yield "tenant_id", _check_tenant(identity.tenant_id)
    yield "client_id", _check_guid(identity.client_id, "client id (Application ID)")
    if identity.cloud not in CLOUDS:
        yield "cloud", f"unknown cloud {identity.cloud!r}; use one of {', '.join(sorted(CLOUDS))}"
    yield "authority_host", _check_authority(identity.authority_host)
    if identity.ca_file is not None and not Path(identity.ca_file).is_file():
        yield "ca_file", f"the CA file {identity.ca_file!r} does not exist"
    if identity.scope is not None and (not identity.scope.strip() or " " in identity.scope.strip()):
        yield "scope", "the scope must be one value such as https://relay.azure.net/.default"


def _identity_problems(identity: IdentityConfig, role: Role) -> list[InvalidField]:
    problems: list[tuple[str, str | None]] = []
    if identity.kind not in get_args(IdentityKind):
        problems.append(("kind", f"unknown identity kind {identity.kind!r}"))
    elif identity.kind == "entra":
        problems.extend(_entra_problems(identity))
    elif identity.kind == "sas" and not _KEY_NAME_RE.match(identity.sas_key_name.strip()):
        problems.append(("sas_key_name", "enter the SAS rule name, e.g. RootManageSharedAccessKey"))
    elif identity.kind == "anonymous" and role == "listener":
        problems.append(("kind", "a listener always needs a token: use Entra ID or SAS"))
    return [InvalidField(f"{role}.{name}", reason) for name, reason in problems if reason]


def validate(profile: Profile) -> list[InvalidField]:
    """Return every problem of ``profile`` (empty when valid), in form order."""
    problems: list[InvalidField] = []
    reason = _check_name(profile.name)
    if reason:
        problems.append(InvalidField("name", reason))
    try:
        HybridConnectionAddress.parse(profile.address)
    except InvalidAddress as exc:
        problems.append(InvalidField("address", exc.reason))
    problems.extend(_identity_problems(profile.listener, "listener"))
    if not profile.sender_same_as_listener:
        problems.extend(_identity_problems(profile.sender, "sender"))
    return problems


def validate_or_raise(profile: Profile) -> Profile:
    """Return the normalised profile, or raise the first problem.

    Raises:
        InvalidField: the first of :func:`validate`'s problems.
    """
    problems = validate(profile)
    if problems:
        raise problems[0]
    return profile.normalised()


# --- JSON ------------------------------------------------------------------------------


def profile_to_json(profile: Profile) -> str:
    """Serialise a profile (it holds no secret; exports are safe to share)."""
    document = {"format": _FORMAT, "version": _VERSION, **asdict(profile)}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _identity_from(data: object, where: str) -> IdentityConfig:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} is not an object")
    known = {f for f in IdentityConfig.__dataclass_fields__}
    values = {k: v for k, v in data.items() if k in known}
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{where}.{name} is not text")
    return IdentityConfig(**cast(dict[str, Any], values))


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("sender_same_as_listener is not true/false")
    return value


def profile_from_json(text: str, *, source: str = "profile") -> Profile:
    """Parse :func:`profile_to_json` output. Fields are checked for type only.

    Raises:
        ProfileError: naming ``source`` when the text is not a profile.
    """
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError("it is not a RelayDesk profile")
        if not isinstance(data.get("name"), str) or not isinstance(data.get("address"), str):
            raise ValueError("the name or address is missing")
        return Profile(
            name=data["name"],
            address=data["address"],
            listener=_identity_from(data.get("listener", {}), "listener"),
            sender=_identity_from(data.get("sender", {}), "sender"),
            sender_same_as_listener=_flag(data.get("sender_same_as_listener", False)),
        )
    except (ValueError, TypeError) as exc:
        raise ProfileError(f"{source} is not a valid profile: {exc}") from None


# --- files -------------------------------------------------------------------------------


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
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
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

    def _move_secrets(self, old: str, new: str, *, keep_old: bool) -> None:
        for role in ROLES:
            value = self._secrets.get(secret_key(old, role))
            if value is not None:
                self._secrets.set(secret_key(new, role), value)
                if not keep_old:
                    self._secrets.delete(secret_key(old, role))

    # --- rename / duplicate / delete ---------------------------------------------

    def _check_new_name(self, new_name: str) -> str:
        reason = _check_name(new_name)
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
        for role in ROLES:
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
