"""Authorization: token + entity + right → principal, or TokenRejected.

The relay (``relay.py``) extracts the token from the request (§3 precedence)
and asks :meth:`Authorizer.authorize`. Two token kinds exist (§3):

* SAS (``SharedAccessSignature sr=…``): verified with
  :func:`relaydesk.protocol.sas.verify_sas_token` (§9.4); the rule is looked up
  by ``skn`` among the rules defined on the entity or the namespace; its rights
  must include the requested one. ``Manage`` implies ``Listen`` and ``Send``
  ([INFER] §9.3, §15.8: true in Service Bus, assumed for Relay).
* JWT (three dot-separated parts, raw, §3): validated by
  :class:`relaydesk.emulator.entra.JwtValidator`; the ``oid`` is looked up in
  the world and its RBAC roles (§10.3) decide: Owner → Listen + Send (+Manage),
  Listener → Listen, Sender → Send; scope ``/`` covers every entity, ``/x``
  covers ``x`` and ``x/…``. Role changes take effect immediately.

Choices where the protocol is silent:

* ``Bearer <jwt>`` is [UNKNOWN] (§3, §15.1). The emulator **rejects** it with
  401 ``MalformedToken`` and a hint to send the raw JWT: being stricter than
  the service can never make a client bug look like success.
* A missing token: 401, except SEND on an entity with
  ``requires_client_authorization = false``, which yields the anonymous
  principal. On such an entity a sender's token is **not evaluated** at all
  (§3 rules 1–2: "evaluated if authorization is required"), so a bad token
  does not fail an anonymous send. LISTEN always needs a token (§4.1).
* An entity unknown to the world is treated as requiring authorization (the
  relay answers 404 before asking).
* The SAS ``sr`` host must be one of the emulator's own names: the emulator
  is reached as ``127.0.0.1:PORT``, ``localhost:PORT`` or ``[::1]:PORT``, so
  ``namespace_host_check(host)`` decides (see :func:`loopback_host_check`);
  the port is ignored as in §9.4 step 5.
* A SAS rule defined on ``/x`` cannot sign a token whose ``sr`` is wider than
  ``x`` (the rule must be defined on the resource named by ``sr`` or a
  parent, §9.3) → 401 ``InvalidAudience``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from relaydesk.emulator.entra import JwtPrincipal, JwtValidator
from relaydesk.emulator.world import Right, SasRule, World, scope_covers
from relaydesk.errors import InvalidTokenFormat, TokenRejected
from relaydesk.protocol.sas import (
    SAS_KEYWORD,
    parse_sas_token,
    resource_host_and_path,
    verify_sas_token,
    wrong_audience,
)

__all__ = [
    "LOOPBACK_NAMES",
    "Authorizer",
    "Principal",
    "Right",
    "loopback_host_check",
]

#: The names under which a loopback-bound emulator is reachable.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")

_MAX_TOKEN_CHARS = 16384


@dataclass(frozen=True)
class Principal:
    """Who was authorized.

    Attributes:
        kind: ``"sas"``, ``"entra"`` or ``"anonymous"``.
        name: the SAS rule name, the identity name, or ``"anonymous"``.
        expires_at: when the token expires (seconds since the epoch), or
            None for anonymous; the relay closes channels with 1008 after it
            (§4.3, §4.6).
    """

    kind: Literal["sas", "entra", "anonymous"]
    name: str
    expires_at: float | None


ANONYMOUS = Principal("anonymous", "anonymous", None)


def loopback_host_check(extra_names: Iterable[str] = ()) -> Callable[[str], bool]:
    """A host check accepting the loopback names plus ``extra_names``.

    Comparison is case-insensitive; brackets around IPv6 literals are ignored.
    """
    names = {_bare_host(n) for n in (*LOOPBACK_NAMES, *extra_names)}

    def check(host: str) -> bool:
        return _bare_host(host) in names

    return check


def _bare_host(host: str) -> str:
    return host.strip().strip("[]").lower()


class Authorizer:
    """Decides whether a token may Listen or Send on an entity.

    Args:
        world: the emulated world (rules, identities, roles, entities).
        namespace_host_check: whether an ``sr`` host names this emulator.
        jwt_validator: validates Entra access tokens.
        now: clock for SAS expiry, seconds since the epoch.
    """

    def __init__(
        self,
        world: World,
        *,
        namespace_host_check: Callable[[str], bool],
        jwt_validator: JwtValidator,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._world = world
        self._host_check = namespace_host_check
        self._jwt = jwt_validator
        self._now = now

    def authorize(self, token: str | None, entity: str, right: Right) -> Principal:
        """Return the principal allowed to use ``right`` on ``entity``.

        Raises:
            TokenRejected: 401 when the token is missing, malformed, expired,
                wrongly signed or for another audience; 403 when it is valid
                but lacks ``right`` on ``entity``.
        """
        entity = entity.strip("/")
        hc = self._world.hybrid_connection(entity)
        anonymous_ok = (
            right is Right.SEND and hc is not None and not hc.requires_client_authorization
        )
        if anonymous_ok:
            return ANONYMOUS
        token = (token or "").strip()
        if not token:
            raise TokenRejected(401, "MissingToken", "The request has no authorization token.")
        if len(token) > _MAX_TOKEN_CHARS:
            raise TokenRejected(401, "MalformedToken", "The token is missing or malformed.")
        if token[: len(SAS_KEYWORD)].lower() == SAS_KEYWORD.lower():
            return self._authorize_sas(token, entity, right)
        if token[:7].lower() == "bearer ":
            raise TokenRejected(
                401,
                "MalformedToken",
                "The token is malformed: send the raw JWT without the 'Bearer ' prefix.",
            )
        if re.fullmatch(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*", token):
            return self._authorize_jwt(token, entity, right)
        raise TokenRejected(401, "MalformedToken", "The token is missing or malformed.")

    # --- SAS (§9.4) --------------------------------------------------------------

    def _authorize_sas(self, token: str, entity: str, right: Right) -> Principal:
        rules: dict[str, SasRule] = {}

        def keys(key_name: str) -> Sequence[str]:
            rule = self._world.sas_rule_for(key_name, entity)
            if rule is None:
                return ()
            rules[key_name] = rule
            return rule.keys

        host, sr_path = _sr_host_and_path(token)
        # Verify against the sr host itself, then check that host is one of
        # ours: keeps §9.4's order (expiry, signature, audience).
        parsed = verify_sas_token(
            token, keys=keys, namespace_host=host, entity_path=entity, now=self._now()
        )
        if not self._host_check(host):
            raise wrong_audience()
        rule = rules[parsed.key_name]
        if not scope_covers(rule.scope, sr_path):
            raise wrong_audience()
        if not rule.grants(right):
            raise _missing_right(f"The SAS rule '{rule.name}'", right, entity)
        return Principal("sas", rule.name, float(parsed.expires_at))

    # --- Entra (§10) ---------------------------------------------------------------

    def _authorize_jwt(self, token: str, entity: str, right: Right) -> Principal:
        claims = self._jwt.validate(token)
        if claims.is_user:
            return self._authorize_user(claims, entity, right)
        identity = self._world.identity_by_object_id(claims.object_id)
        if identity is None or identity.client_id != claims.app_id:
            # A correctly signed token for a principal this world does not
            # know (deleted identity): valid but without any role.
            raise _missing_right(f"The principal '{claims.object_id}'", right, entity)
        if right not in identity.rights_on(entity):
            raise _missing_right(f"The identity '{identity.name}'", right, entity)
        return Principal("entra", identity.name, claims.expires_at)

    def _authorize_user(self, claims: JwtPrincipal, entity: str, right: Right) -> Principal:
        """A signed-in user's token: the same role check as an app's (§10.3)."""
        user = self._world.user_by_object_id(claims.object_id)
        if user is None:
            raise _missing_right(f"The principal '{claims.object_id}'", right, entity)
        if right not in user.rights_on(entity):
            raise _missing_right(f"The user '{user.upn}'", right, entity)
        return Principal("entra", user.upn, claims.expires_at)


def _sr_host_and_path(token: str) -> tuple[str, str]:
    """Host and path of the decoded ``sr``; a token that does not parse is a 401."""
    try:
        uri = parse_sas_token(token).resource_uri
    except InvalidTokenFormat as exc:
        raise TokenRejected(
            401, "MalformedToken", f"The token is missing or malformed: {exc.reason}"
        ) from None
    return resource_host_and_path(uri)


def _missing_right(who: str, right: Right, entity: str) -> TokenRejected:
    return TokenRejected(
        403,
        "MissingRight",
        f"{who} lacks {right.value} on {entity}: authorization failed for the "
        f"specified action: {right.value}.",
    )
