"""The emulated world's model: tenant, hybrid connections, identities, SAS rules, roles.

The relay half (``relay.py``) asks the :class:`World` whether a hybrid
connection exists and whether it needs client authorization (§1
``requiresClientAuthorization``); the identity half (``entra.py``,
``authz.py``) asks it for client secrets, RBAC role assignments (§10.3) and
SAS rules (§9).

This module holds only the values and the rules on them (which role grants
which right, which scope covers which entity). Reading a configuration file is
``world_config.py``, persisting generated credentials is ``world_state.py``,
and :func:`relaydesk.emulator.world.load_world` puts the three together.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

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
    "User",
    "World",
    "is_entity_name",
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
    """A hybrid connection (§1): its name, whether senders need a token, and
    the free-text ``userMetadata`` of its ARM resource (§1)."""

    name: str
    requires_client_authorization: bool = True
    user_metadata: str | None = None


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
    #: Who may use this app registration as a public client to sign in:
    #: ``None`` = an administrator consented for all users (Entra's
    #: ``AllPrincipals`` delegated grant); else the names of the users who
    #: consented themselves (``Principal`` grants), possibly none.
    consented_users: frozenset[str] | None = None

    def rights_on(self, entity: str) -> frozenset[Right]:
        """The rights all role assignments covering ``entity`` grant together."""
        return _rights_on(self.roles, entity)

    def consented_for(self, user: str) -> bool:
        """Whether a delegated permission grant lets ``user`` sign in through this app."""
        return self.consented_users is None or user in self.consented_users


@dataclass(frozen=True)
class User:
    """A user account of the emulated tenant (signs in through a public client).

    Role assignments work as an app's do (§10.3): the relay checks a user's
    token through the same RBAC path.
    """

    name: str
    upn: str
    password: str = field(repr=False)
    object_id: str
    roles: tuple[RoleAssignment, ...] = ()
    #: The domain of the account's home tenant when that is another tenant
    #: (an account that was never invited here as a guest); ``None`` = a member.
    home_tenant: str | None = None

    def rights_on(self, entity: str) -> frozenset[Right]:
        """The rights all role assignments covering ``entity`` grant together."""
        return _rights_on(self.roles, entity)


def _rights_on(roles: Iterable[RoleAssignment], entity: str) -> frozenset[Right]:
    rights: set[Right] = set()
    for assignment in roles:
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
        users: Iterable[User] = (),
    ) -> None:
        self.tenant_id = tenant_id
        self.domain = domain
        self.signing_key = signing_key
        self.hybrid_connections = {hc.name: hc for hc in hybrid_connections}
        self.identities = {i.name: i for i in identities}
        self.sas_rules = {r.name: r for r in sas_rules}
        self.users = {u.name: u for u in users}

    def __repr__(self) -> str:
        return (
            f"World(tenant_id={self.tenant_id!r}, "
            f"hybrid_connections={sorted(self.hybrid_connections)!r}, "
            f"identities={sorted(self.identities)!r}, "
            f"sas_rules={sorted(self.sas_rules)!r}, users={sorted(self.users)!r})"
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

    def user_by_upn(self, upn: str) -> User | None:
        """The user who signs in as ``upn`` (case-insensitive), or None."""
        wanted = upn.strip().lower()
        return next((u for u in self.users.values() if u.upn.lower() == wanted), None)

    def user_by_object_id(self, object_id: str) -> User | None:
        """The user whose account has ``object_id``, or None."""
        wanted = object_id.strip().lower()
        return next((u for u in self.users.values() if u.object_id == wanted), None)

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
        """Add a role assignment to an app or a user now; EmulatorError on bad input."""
        current = self._principal(identity)
        assignment = self._assignment(role, scope)
        if assignment not in current.roles:
            self._replace(replace(current, roles=(*current.roles, assignment)))

    def revoke_role(self, identity: str, role: str, scope: str) -> None:
        """Remove a role assignment now (no-op if it is not assigned)."""
        current = self._principal(identity)
        assignment = self._assignment(role, scope)
        self._replace(replace(current, roles=tuple(r for r in current.roles if r != assignment)))

    def _principal(self, name: str) -> Identity | User:
        found = self.identities.get(name) or self.users.get(name)
        if found is None:
            raise EmulatorError(f"unknown identity or user {name!r}")
        return found

    def _replace(self, principal: Identity | User) -> None:
        if isinstance(principal, User):
            self.users[principal.name] = principal
        else:
            self.identities[principal.name] = principal

    def _assignment(self, role: str, scope: str) -> RoleAssignment:
        if role not in ROLE_RIGHTS:
            raise EmulatorError(f"unknown role {role!r}; use one of {sorted(ROLE_RIGHTS)}")
        normalized = "/" + scope.strip("/")
        if normalized != "/" and self.hybrid_connection(normalized) is None:
            raise EmulatorError(f"scope {scope!r} names no hybrid connection")
        return RoleAssignment(role, normalized)


def is_entity_name(name: str) -> bool:
    """Whether ``name`` is a valid hybrid connection name (§1)."""
    return bool(_ENTITY_RE.fullmatch(name)) and "//" not in name


def new_guid() -> str:
    """A random lower-case GUID, as Entra prints them."""
    return str(uuid.uuid4())
