"""Reading and validating an emulator world configuration (format: ``world.py``).

A configuration is a TOML or JSON file whose structure the docstring of
:mod:`relaydesk.emulator.world` documents; without one, the default world of
docs/design.md is used. The :class:`ConfigReader` checks every key (§1 entity
names, §9 SAS rules, §10.3 roles), fills what the configuration leaves out
from the persisted state (``world_state.py``) or generates it, and builds the
:class:`~relaydesk.emulator.world_model.World`. Every error names the source
file, the key path and the reason, and never echoes a secret.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import tomllib
from pathlib import Path
from typing import Any

from relaydesk.emulator.world_model import (
    DEFAULT_DOMAIN,
    ROLE_LISTENER,
    ROLE_OWNER,
    ROLE_RIGHTS,
    ROLE_SENDER,
    HybridConnection,
    Identity,
    Right,
    RoleAssignment,
    SasRule,
    SigningKey,
    User,
    World,
    is_entity_name,
    new_guid,
)
from relaydesk.errors import EmulatorError

__all__ = ["ConfigReader", "load_config"]

_GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)
_TOP_KEYS = frozenset(
    {"tenant_id", "domain", "hybrid_connections", "identities", "sas_rules", "users"}
)
_USER_KEYS = frozenset({"name", "upn", "password", "object_id", "roles", "home_tenant"})
_HC_KEYS = frozenset({"name", "requires_client_authorization", "user_metadata"})
#: Azure limits a hybrid connection's userMetadata to 1024 characters.
USER_METADATA_MAX = 1024
_ID_KEYS = frozenset({"name", "client_id", "client_secret", "object_id", "roles", "user_consent"})
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
    # People who sign in themselves (browser or device code); UPN <name>@<domain>.
    "users": [
        {"name": "listener-user", "roles": [{"role": ROLE_LISTENER, "scope": "/demo"}]},
        {"name": "sender-user", "roles": [{"role": ROLE_SENDER, "scope": "/demo"}]},
        {"name": "no-role-user", "roles": []},
    ],
}


def load_config(config_file: Path | None) -> tuple[dict[str, Any], str]:
    """The configuration mapping and its source name for error messages.

    Without a file this is the default world (docs/design.md).

    Raises:
        EmulatorError: the file is unreadable, not TOML/JSON, or not a table.
    """
    if config_file is None:
        return _DEFAULT_CONFIG, "<default world>"
    return _read_config(config_file), str(config_file)


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


def _sas_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _client_secret() -> str:
    # Entra secrets are ~40 URL-safe characters; the exact alphabet is irrelevant.
    return secrets.token_urlsafe(30)


class ConfigReader:
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
        users = [
            self.user(t, f"users[{n}]", names, domain)
            for n, t in enumerate(self.tables(config, "users"))
        ]
        self.unique([i.name for i in ids] + [u.name for u in users], "identities/users", "name")
        self.unique([u.upn.lower() for u in users], "users", "upn")
        object_ids = [i.object_id for i in ids] + [u.object_id for u in users]
        self.unique(object_ids, "identities/users", "object_id")
        self.check_consents(ids, {u.name for u in users})
        return World(
            tenant_id=tenant,
            domain=domain,
            hybrid_connections=hcs,
            identities=ids,
            sas_rules=rules,
            signing_key=signing_key,
            users=users,
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
        metadata = table.get("user_metadata")
        if metadata is not None and (
            not isinstance(metadata, str) or len(metadata) > USER_METADATA_MAX
        ):
            raise self.fail(
                f"{key}.user_metadata", f"must be text of at most {USER_METADATA_MAX} characters"
            )
        return HybridConnection(name, auth, metadata)

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
        roles = self.roles(table, key, entities)
        consent = self.user_consent(table.get("user_consent", "admin"), f"{key}.user_consent")
        return Identity(name, client_id, secret, object_id, roles, consent)

    def user_consent(self, value: object, key: str) -> frozenset[str] | None:
        """``"admin"`` (consent for all users) or the names of users who consented."""
        if value == "admin":
            return None
        if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
            return frozenset(v.strip() for v in value)
        raise self.fail(key, "must be 'admin' or a list of user names (possibly empty)")

    def check_consents(self, ids: list[Identity], user_names: set[str]) -> None:
        for n, identity in enumerate(ids):
            unknown = sorted((identity.consented_users or frozenset()) - user_names)
            if unknown:
                raise self.fail(f"identities[{n}].user_consent", f"names no user: {unknown}")

    def user(self, table: dict[str, Any], key: str, entities: set[str], domain: str) -> User:
        self.check_keys(table, _USER_KEYS, key)
        name = self.string(table, "name", f"{key}.name", None)
        saved = self.saved("users", name)
        upn = self.string(table, "upn", f"{key}.upn", f"{name}@{domain}")
        if "@" not in upn.strip("@"):
            raise self.fail(f"{key}.upn", f"{upn!r} is not a user name like name@{domain}")
        password = self.string(
            table, "password", f"{key}.password", saved.get("password") or _client_secret()
        )
        object_id = self.guid(table, "object_id", f"{key}.object_id", saved.get("object_id"))
        saved.update(password=password, object_id=object_id)
        roles = self.roles(table, key, entities)
        return User(name, upn, password, object_id, roles, self.home_tenant(table, key, domain))

    def home_tenant(self, table: dict[str, Any], key: str, domain: str) -> str | None:
        """Another tenant's domain or GUID: the account is not a member here."""
        if "home_tenant" not in table:
            return None
        value = self.string(table, "home_tenant", f"{key}.home_tenant", None).lower()
        if not (_DOMAIN_RE.fullmatch(value) or _GUID_RE.fullmatch(value)):
            raise self.fail(f"{key}.home_tenant", f"{value!r} is not a domain or tenant GUID")
        if value in (domain, self.state.get("tenant_id")):
            raise self.fail(
                f"{key}.home_tenant", "names this tenant; leave it out for a member of it"
            )
        return value

    def roles(
        self, table: dict[str, Any], key: str, entities: set[str]
    ) -> tuple[RoleAssignment, ...]:
        roles = []
        for n, role_table in enumerate(self.tables(table, "roles", key)):
            rkey = f"{key}.roles[{n}]"
            self.check_keys(role_table, _ROLE_KEYS, rkey)
            role = self.string(role_table, "role", f"{rkey}.role", None)
            if role not in ROLE_RIGHTS:
                raise self.fail(f"{rkey}.role", f"{role!r} is not one of {sorted(ROLE_RIGHTS)}")
            scope = self.scope(role_table, f"{rkey}.scope", entities)
            roles.append(RoleAssignment(role, scope))
        return tuple(roles)

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
