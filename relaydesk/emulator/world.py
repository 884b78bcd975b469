"""The emulated world: tenant, hybrid connections, identities, SAS rules, roles.

The relay half (``relay.py``) asks this world whether a hybrid connection
exists and whether it needs client authorization (§1 ``requiresClientAuthorization``);
the identity half (``entra.py``, ``authz.py``) asks it for client secrets,
RBAC role assignments (§10.3) and SAS rules (§9).

Secrets, keys and ids that the configuration does not give are generated at
random **once per data directory** and persisted in ``world-state.json``
(mode 0600) next to the JWT signing key ``jwt-signing-key.pem`` (mode 0600),
so a restart with the same data directory keeps every credential a user has
copied.

Without a configuration file the default world is used (docs/design.md):
hybrid connections ``demo`` (client authorization required) and ``open``
(anonymous senders allowed); identities ``owner`` (Azure Relay Owner on
``/``), ``listener`` (Azure Relay Listener on ``/demo``), ``sender`` (Azure
Relay Sender on ``/demo``), ``outsider`` (no role); SAS rules
``RootManageSharedAccessKey`` (Manage, Listen, Send on ``/``), ``listen-only``
(Listen on ``/demo``) and ``send-only`` (Send on ``/demo``).

Configuration file format (TOML, or JSON with the same structure; every key
except the names is optional, and unknown keys are errors)::

    tenant_id = "6f1b2c1e-8a7b-4c1e-9d7e-0a1b2c3d4e5f"   # generated if absent
    domain = "relaydesk.localhost"    # verified domain; tenant may be addressed by it

    [[hybrid_connections]]
    name = "demo"
    requires_client_authorization = true     # default true

    [[identities]]
    name = "owner"
    client_id = "…GUID…"        # generated if absent
    client_secret = "…"         # generated if absent
    object_id = "…GUID…"        # generated if absent
    roles = [{ role = "Azure Relay Owner", scope = "/" }]

    [[sas_rules]]
    name = "RootManageSharedAccessKey"
    rights = ["Manage", "Listen", "Send"]
    scope = "/"                 # "/" = namespace, "/demo" = that entity; default "/"
    primary_key = "…"           # generated if absent (base64 of 32 random bytes)
    secondary_key = "…"         # generated if absent

Role names are the built-in ones of §10.3 (``Azure Relay Owner``,
``Azure Relay Listener``, ``Azure Relay Sender``). A scope ``"/x"`` must name
a configured hybrid connection. SAS rule names are unique across the whole
namespace in the emulator (Azure allows the same name on an entity and on the
namespace; the emulator does not, so that a key name always finds one rule).
"""

from __future__ import annotations

import base64
import enum
import json
import os
import re
import secrets
import tomllib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from relaydesk.errors import EmulatorError

__all__ = [
    "DEFAULT_DOMAIN",
    "ROLE_LISTENER",
    "ROLE_OWNER",
    "ROLE_RIGHTS",
    "ROLE_SENDER",
    "HybridConnection",
    "Identity",
    "Right",
    "RoleAssignment",
    "SasRule",
    "SigningKey",
    "World",
    "is_entity_name",
    "load_world",
    "new_guid",
    "scope_covers",
]

ROLE_OWNER = "Azure Relay Owner"
ROLE_LISTENER = "Azure Relay Listener"
ROLE_SENDER = "Azure Relay Sender"
DEFAULT_DOMAIN = "relaydesk.localhost"

_ENTITY_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9])?$")


class Right(enum.Enum):
    """A right on an entity: SAS rule rights (§9.3) and RBAC data actions (§10.3)."""

    LISTEN = "Listen"
    SEND = "Send"
    MANAGE = "Manage"


# What each built-in role grants (§10.3): Owner has Microsoft.Relay/*.
ROLE_RIGHTS: dict[str, frozenset[Right]] = {
    ROLE_OWNER: frozenset(Right),
    ROLE_LISTENER: frozenset({Right.LISTEN}),
    ROLE_SENDER: frozenset({Right.SEND}),
}


def scope_covers(scope: str, entity: str) -> bool:
    """Whether ``scope`` (``"/"`` or ``"/x"``) covers ``entity``.

    ``"/"`` covers every entity; ``"/x"`` covers ``x`` and ``x/…``
    (segment-wise, case-insensitive, like Azure entity names [INFER §15.8]).
    """
    path = scope.strip("/").lower()
    if not path:
        return True
    name = entity.strip("/").lower()
    return name == path or name.startswith(path + "/")


@dataclass(frozen=True)
class HybridConnection:
    """A hybrid connection (§1): its name and whether senders need a token."""

    name: str
    requires_client_authorization: bool = True


@dataclass(frozen=True)
class RoleAssignment:
    """One RBAC role assignment (§10.3) at ``"/"`` (namespace) or ``"/<entity>"``."""

    role: str
    scope: str


@dataclass(frozen=True)
class Identity:
    """An app registration + service principal of the emulated tenant."""

    name: str
    client_id: str
    client_secret: str = field(repr=False)
    object_id: str
    roles: tuple[RoleAssignment, ...] = ()

    def rights_on(self, entity: str) -> frozenset[Right]:
        """The rights all role assignments covering ``entity`` grant together."""
        rights: set[Right] = set()
        for assignment in self.roles:
            if scope_covers(assignment.scope, entity):
                rights |= ROLE_RIGHTS.get(assignment.role, frozenset())
        return frozenset(rights)


@dataclass(frozen=True)
class SasRule:
    """A shared access authorization rule (§9): keys, rights and scope."""

    name: str
    primary_key: str = field(repr=False)
    secondary_key: str | None = field(repr=False)
    rights: frozenset[Right]
    scope: str = "/"

    @property
    def keys(self) -> tuple[str, ...]:
        """Primary then secondary key (both sign valid tokens, §9.4 step 4)."""
        if self.secondary_key:
            return (self.primary_key, self.secondary_key)
        return (self.primary_key,)

    def grants(self, right: Right) -> bool:
        """Whether the rule grants ``right``; Manage implies Listen and Send
        (Service Bus semantics, [INFER] for Relay, §9.3 / §15.8)."""
        return right in self.rights or Right.MANAGE in self.rights


@dataclass(frozen=True)
class SigningKey:
    """The RSA key the emulated Entra signs JWTs with (§10.4), and its ``kid``."""

    kid: str
    private_key: rsa.RSAPrivateKey = field(repr=False)


class World:
    """The emulated tenant and namespace, mutable only through role changes.

    Runtime role changes (:meth:`grant_role`, :meth:`revoke_role`) take effect
    immediately (no 5-minute propagation, §8) and are not persisted.
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        domain: str,
        hybrid_connections: Iterable[HybridConnection],
        identities: Iterable[Identity],
        sas_rules: Iterable[SasRule],
        signing_key: SigningKey,
    ) -> None:
        self.tenant_id = tenant_id
        self.domain = domain
        self.signing_key = signing_key
        self.hybrid_connections = {hc.name: hc for hc in hybrid_connections}
        self.identities = {i.name: i for i in identities}
        self.sas_rules = {r.name: r for r in sas_rules}

    def __repr__(self) -> str:
        return (
            f"World(tenant_id={self.tenant_id!r}, "
            f"hybrid_connections={sorted(self.hybrid_connections)!r}, "
            f"identities={sorted(self.identities)!r}, "
            f"sas_rules={sorted(self.sas_rules)!r})"
        )

    # --- lookups ---------------------------------------------------------------

    def hybrid_connection(self, name: str) -> HybridConnection | None:
        """The hybrid connection called ``name`` (case-insensitive), or None."""
        wanted = name.strip("/").lower()
        for hc in self.hybrid_connections.values():
            if hc.name.lower() == wanted:
                return hc
        return None

    def identity_by_client_id(self, client_id: str) -> Identity | None:
        """The identity whose app registration has ``client_id``, or None."""
        wanted = client_id.strip().lower()
        return next((i for i in self.identities.values() if i.client_id == wanted), None)

    def identity_by_object_id(self, object_id: str) -> Identity | None:
        """The identity whose service principal has ``object_id``, or None."""
        wanted = object_id.strip().lower()
        return next((i for i in self.identities.values() if i.object_id == wanted), None)

    def sas_rule_for(self, key_name: str, entity: str) -> SasRule | None:
        """The SAS rule ``key_name`` if it is defined on ``entity`` or on the
        namespace (§9.4 step 3), else None."""
        rule = self.sas_rules.get(key_name)
        if rule is None or not scope_covers(rule.scope, entity):
            return None
        return rule

    def knows_tenant(self, tenant: str) -> bool:
        """Whether ``tenant`` (GUID or verified domain) names this tenant."""
        value = tenant.strip().lower()
        return value in (self.tenant_id, self.domain.lower())

    # --- runtime role changes (fault controls) -------------------------------

    def grant_role(self, identity: str, role: str, scope: str) -> None:
        """Add a role assignment now; raises EmulatorError on bad input."""
        current = self._identity(identity)
        assignment = self._assignment(role, scope)
        if assignment not in current.roles:
            roles = (*current.roles, assignment)
            self.identities[identity] = replace(current, roles=roles)

    def revoke_role(self, identity: str, role: str, scope: str) -> None:
        """Remove a role assignment now (no-op if it is not assigned)."""
        current = self._identity(identity)
        assignment = self._assignment(role, scope)
        roles = tuple(r for r in current.roles if r != assignment)
        self.identities[identity] = replace(current, roles=roles)

    def _identity(self, name: str) -> Identity:
        try:
            return self.identities[name]
        except KeyError:
            raise EmulatorError(f"unknown identity {name!r}") from None

    def _assignment(self, role: str, scope: str) -> RoleAssignment:
        if role not in ROLE_RIGHTS:
            raise EmulatorError(f"unknown role {role!r}; use one of {sorted(ROLE_RIGHTS)}")
        normalized = "/" + scope.strip("/")
        if normalized != "/" and self.hybrid_connection(normalized) is None:
            raise EmulatorError(f"scope {scope!r} names no hybrid connection")
        return RoleAssignment(role, normalized)


# --- loading, validation and persistence ---------------------------------------

STATE_FILE = "world-state.json"
SIGNING_KEY_FILE = "jwt-signing-key.pem"

_GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)
_TOP_KEYS = frozenset({"tenant_id", "domain", "hybrid_connections", "identities", "sas_rules"})
_HC_KEYS = frozenset({"name", "requires_client_authorization"})
_ID_KEYS = frozenset({"name", "client_id", "client_secret", "object_id", "roles"})
_ROLE_KEYS = frozenset({"role", "scope"})
_RULE_KEYS = frozenset({"name", "rights", "scope", "primary_key", "secondary_key"})

_DEFAULT_CONFIG: dict[str, Any] = {
    "hybrid_connections": [
        {"name": "demo", "requires_client_authorization": True},
        {"name": "open", "requires_client_authorization": False},
    ],
    "identities": [
        {"name": "owner", "roles": [{"role": ROLE_OWNER, "scope": "/"}]},
        {"name": "listener", "roles": [{"role": ROLE_LISTENER, "scope": "/demo"}]},
        {"name": "sender", "roles": [{"role": ROLE_SENDER, "scope": "/demo"}]},
        {"name": "outsider", "roles": []},
    ],
    "sas_rules": [
        {"name": "RootManageSharedAccessKey", "rights": ["Manage", "Listen", "Send"]},
        {"name": "listen-only", "rights": ["Listen"], "scope": "/demo"},
        {"name": "send-only", "rights": ["Send"], "scope": "/demo"},
    ],
}


def load_world(data_dir: Path, config_file: Path | None = None) -> World:
    """Load (or create) the world of ``data_dir``, optionally from a config file.

    Values the configuration does not give are taken from the data
    directory's state file, or generated and written there (mode 0600).

    Raises:
        EmulatorError: the config file is unreadable or invalid (the message
            names the file, the key and the reason), or the state file is
            corrupt, or the data directory cannot be written.
    """
    if config_file is None:
        config, source = _DEFAULT_CONFIG, "<default world>"
    else:
        config, source = _read_config(config_file), str(config_file)
    state = _read_state(data_dir / STATE_FILE)
    reader = _ConfigReader(source, state)
    world = reader.world(config, _load_signing_key(data_dir, state))
    _write_private(data_dir / STATE_FILE, json.dumps(state, indent=2, sort_keys=True))
    return world


def _read_config(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EmulatorError(f"{path}: cannot read the config file: {exc.strerror}") from exc
    try:
        if path.suffix.lower() == ".json":
            data: object = json.loads(raw.decode("utf-8"))
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        # tomllib.TOMLDecodeError and json.JSONDecodeError are ValueErrors.
        raise EmulatorError(f"{path}: not valid {path.suffix or 'TOML'}: {exc}") from exc
    if not isinstance(data, dict):
        raise EmulatorError(f"{path}: the top level must be a table/object")
    return data


def _read_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise EmulatorError(f"{path}: corrupt emulator state file ({exc}); delete it") from exc
    if not isinstance(data, dict):
        raise EmulatorError(f"{path}: corrupt emulator state file; delete it")
    return data


def _write_private(path: Path, text: str | bytes) -> None:
    """Write ``path`` atomically with mode 0600 (it holds secrets)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        raise EmulatorError(f"{path}: cannot write: {exc.strerror}") from exc


def _load_signing_key(data_dir: Path, state: dict[str, Any]) -> SigningKey:
    path = data_dir / SIGNING_KEY_FILE
    kid = state.get("signing_kid")
    if path.exists() and isinstance(kid, str):
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise EmulatorError(f"{path}: unreadable JWT signing key; delete it") from exc
        if isinstance(key, rsa.RSAPrivateKey):
            return SigningKey(kid, key)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(path, pem)
    state["signing_kid"] = kid = secrets.token_urlsafe(20)
    return SigningKey(kid, key)


def is_entity_name(name: str) -> bool:
    """Whether ``name`` is a valid hybrid connection name (§1)."""
    return bool(_ENTITY_RE.fullmatch(name)) and "//" not in name


def new_guid() -> str:
    """A random lower-case GUID, as Entra prints them."""
    return str(uuid.uuid4())


def _sas_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _client_secret() -> str:
    # Entra secrets are ~40 URL-safe characters; the exact alphabet is irrelevant.
    return secrets.token_urlsafe(30)


class _ConfigReader:
    """Validates a config mapping and merges it with the persisted state.

    Every error names the source file, the key path and the reason.
    """

    def __init__(self, source: str, state: dict[str, Any]) -> None:
        self.source = source
        self.state = state

    def fail(self, key: str, reason: str) -> EmulatorError:
        return EmulatorError(f"{self.source}: {key}: {reason}")

    def world(self, config: dict[str, Any], signing_key: SigningKey) -> World:
        self.check_keys(config, _TOP_KEYS, "(top level)")
        tenant = self.guid(config, "tenant_id", "tenant_id", self.state.get("tenant_id"))
        self.state["tenant_id"] = tenant
        domain = self.string(config, "domain", "domain", DEFAULT_DOMAIN).lower()
        if not _DOMAIN_RE.fullmatch(domain):
            raise self.fail("domain", f"{domain!r} is not a DNS name like 'relaydesk.localhost'")
        hcs = [
            self.hybrid_connection(t, f"hybrid_connections[{n}]")
            for n, t in enumerate(self.tables(config, "hybrid_connections"))
        ]
        self.unique([hc.name.lower() for hc in hcs], "hybrid_connections", "name")
        names = {hc.name.lower() for hc in hcs}
        ids = [
            self.identity(t, f"identities[{n}]", names)
            for n, t in enumerate(self.tables(config, "identities"))
        ]
        self.unique([i.name for i in ids], "identities", "name")
        self.unique([i.client_id for i in ids], "identities", "client_id")
        self.unique([i.object_id for i in ids], "identities", "object_id")
        rules = [
            self.sas_rule(t, f"sas_rules[{n}]", names)
            for n, t in enumerate(self.tables(config, "sas_rules"))
        ]
        self.unique([r.name for r in rules], "sas_rules", "name")
        return World(
            tenant_id=tenant,
            domain=domain,
            hybrid_connections=hcs,
            identities=ids,
            sas_rules=rules,
            signing_key=signing_key,
        )

    def hybrid_connection(self, table: dict[str, Any], key: str) -> HybridConnection:
        self.check_keys(table, _HC_KEYS, key)
        name = self.string(table, "name", f"{key}.name", None)
        if not is_entity_name(name):
            raise self.fail(
                f"{key}.name",
                f"{name!r} is not a valid hybrid connection "
                "name (1-260 letters, digits, '.', '-', '_', '/'; "
                "starting and ending with a letter or digit)",
            )
        auth = table.get("requires_client_authorization", True)
        if not isinstance(auth, bool):
            raise self.fail(f"{key}.requires_client_authorization", "must be true or false")
        return HybridConnection(name, auth)

    def identity(self, table: dict[str, Any], key: str, entities: set[str]) -> Identity:
        self.check_keys(table, _ID_KEYS, key)
        name = self.string(table, "name", f"{key}.name", None)
        saved = self.saved("identities", name)
        client_id = self.guid(table, "client_id", f"{key}.client_id", saved.get("client_id"))
        secret = self.string(
            table,
            "client_secret",
            f"{key}.client_secret",
            saved.get("client_secret") or _client_secret(),
        )
        object_id = self.guid(table, "object_id", f"{key}.object_id", saved.get("object_id"))
        saved.update(client_id=client_id, client_secret=secret, object_id=object_id)
        roles = []
        for n, role_table in enumerate(self.tables(table, "roles", key)):
            rkey = f"{key}.roles[{n}]"
            self.check_keys(role_table, _ROLE_KEYS, rkey)
            role = self.string(role_table, "role", f"{rkey}.role", None)
            if role not in ROLE_RIGHTS:
                raise self.fail(f"{rkey}.role", f"{role!r} is not one of {sorted(ROLE_RIGHTS)}")
            scope = self.scope(role_table, f"{rkey}.scope", entities)
            roles.append(RoleAssignment(role, scope))
        return Identity(name, client_id, secret, object_id, tuple(roles))

    def sas_rule(self, table: dict[str, Any], key: str, entities: set[str]) -> SasRule:
        self.check_keys(table, _RULE_KEYS, key)
        name = self.string(table, "name", f"{key}.name", None)
        saved = self.saved("sas_rules", name)
        primary = self.string(
            table, "primary_key", f"{key}.primary_key", saved.get("primary_key") or _sas_key()
        )
        secondary = self.string(
            table, "secondary_key", f"{key}.secondary_key", saved.get("secondary_key") or _sas_key()
        )
        saved.update(primary_key=primary, secondary_key=secondary)
        raw_rights = table.get("rights")
        valid = {r.value: r for r in Right}
        if (
            not isinstance(raw_rights, list)
            or not raw_rights
            or any(r not in valid for r in raw_rights)
        ):
            raise self.fail(
                f"{key}.rights", "must be a non-empty list of 'Manage', 'Listen', 'Send'"
            )
        rights = frozenset(valid[r] for r in raw_rights)
        if Right.MANAGE in rights and not {Right.LISTEN, Right.SEND} <= rights:
            # Azure requires Manage to come with Listen and Send (§9.3).
            raise self.fail(f"{key}.rights", "'Manage' requires 'Listen' and 'Send' too")
        return SasRule(
            name, primary, secondary, rights, self.scope(table, f"{key}.scope", entities)
        )

    # --- field helpers -------------------------------------------------------

    def check_keys(self, table: dict[str, Any], allowed: frozenset[str], key: str) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(key, f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")

    def tables(self, table: dict[str, Any], name: str, parent: str = "") -> list[dict[str, Any]]:
        key = f"{parent}.{name}" if parent else name
        value = table.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "must be a list of tables/objects")
        return value

    def string(self, table: dict[str, Any], name: str, key: str, default: str | None) -> str:
        value = table.get(name, default)
        if value is None:
            raise self.fail(key, "is required")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value.strip()

    def guid(self, table: dict[str, Any], name: str, key: str, saved: object) -> str:
        default = saved if isinstance(saved, str) else new_guid()
        value = self.string(table, name, key, default).lower()
        if not _GUID_RE.fullmatch(value):
            raise self.fail(key, f"{value!r} is not a GUID like {new_guid()!r}")
        return value

    def scope(self, table: dict[str, Any], key: str, entities: set[str]) -> str:
        value = self.string(table, "scope", key, "/")
        path = value.strip("/")
        if path and path.lower() not in entities:
            raise self.fail(
                key,
                f"{value!r} names no configured hybrid connection; "
                "use '/' (namespace) or '/<hybrid connection>'",
            )
        return "/" + path

    def saved(self, section: str, name: str) -> dict[str, Any]:
        bucket = self.state.setdefault(section, {})
        if not isinstance(bucket, dict):
            bucket = self.state[section] = {}
        entry = bucket.setdefault(name, {})
        if not isinstance(entry, dict):
            entry = bucket[name] = {}
        return entry

    def unique(self, values: list[str], section: str, name: str) -> None:
        seen: set[str] = set()
        for n, value in enumerate(values):
            if value in seen:
                raise self.fail(f"{section}[{n}].{name}", f"duplicate value {value!r}")
            seen.add(value)
