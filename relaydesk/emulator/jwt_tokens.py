"""Access tokens of the emulated Entra ID: minting and validating the JWTs (§10.4, §13).

Token version: the emulator issues **v1.0 access tokens** (§10.4, default of
§13), the kind Azure first-party resources are widely seen to receive:
``iss = https://sts.windows.net/{tid}/``, ``ver = "1.0"``,
``aud = "https://relay.azure.net"``, ``appid`` (and, for convenience, the
v2-style ``azp``) = client id, ``oid = sub`` = the service principal's object
id, ``idtyp = "app"``, signed RS256 with the world's signing key.
:class:`JwtValidator` accepts exactly what is issued here, and maps every
rejection to the service-like 401 of §4.2. The token endpoint that hands
these tokens out is ``entra.py``; tokens are never logged nor echoed in an
error.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from relaydesk.emulator.world_model import Identity, User, World
from relaydesk.errors import EmulatorError, TokenRejected
from relaydesk.protocol.sas import invalid_signature, wrong_audience

__all__ = [
    "ACCEPTED_AUDIENCES",
    "DEFAULT_LEEWAY",
    "RELAY_AUDIENCE",
    "JwtPrincipal",
    "JwtValidator",
    "issue_token_for",
    "mint_token",
    "mint_user_token",
    "v1_issuer",
]

RELAY_AUDIENCE = "https://relay.azure.net"
#: The delegated permission a user's token carries in ``scp``.
USER_SCOPE = "user_impersonation"
#: §13: both trailing-slash forms are accepted as the Relay audience.
ACCEPTED_AUDIENCES = (RELAY_AUDIENCE, RELAY_AUDIENCE + "/")
#: Clock skew (seconds) :class:`JwtValidator` allows around ``exp``/``nbf``
#: unless told otherwise (``EmulatorOptions.token_leeway``).
DEFAULT_LEEWAY = 5.0
_MAX_TOKEN_CHARS = 16384


def v1_issuer(tenant_id: str) -> str:
    """The ``iss`` of a v1.0 access token (§10.4)."""
    return f"https://sts.windows.net/{tenant_id}/"


def issue_token_for(
    world: World,
    identity_name: str,
    *,
    lifetime: float = 3600,
    now: float | None = None,
    audience: str = RELAY_AUDIENCE,
    issuer: str | None = None,
    tenant_id: str | None = None,
    signing_key: rsa.RSAPrivateKey | None = None,
) -> str:
    """Mint an access token for ``identity_name`` as the token endpoint would.

    Tests use the keyword arguments to mint expired tokens (``now`` in the
    past), tokens for another audience, or tokens signed with another key.

    Raises:
        EmulatorError: no such identity.
    """
    identity = world.identities.get(identity_name)
    if identity is None:
        raise EmulatorError(f"unknown identity {identity_name!r}")
    return mint_token(
        world,
        identity,
        issued_at=time.time() if now is None else now,
        lifetime=lifetime,
        audience=audience,
        issuer=issuer,
        tenant_id=tenant_id,
        signing_key=signing_key,
    )


def mint_token(
    world: World,
    identity: Identity,
    *,
    issued_at: float,
    lifetime: float,
    audience: str = RELAY_AUDIENCE,
    issuer: str | None = None,
    tenant_id: str | None = None,
    signing_key: rsa.RSAPrivateKey | None = None,
) -> str:
    """The signed v1.0 access token of ``identity`` (claims in the module docstring).

    The token endpoint calls this with only the times; the other keywords
    exist for :func:`issue_token_for`'s deliberately wrong tokens. ``exp``
    is rounded *up* to the whole second: the token then lives at least
    ``lifetime`` (and at least the endpoint's ``expires_in``), so a client
    that renews by ``expires_in`` is never surprised by an earlier expiry.
    Rounded down, a 1 s token could expire a moment after it was issued.
    """
    tid = tenant_id or world.tenant_id
    iss = issuer or v1_issuer(tid)
    iat = int(issued_at)
    claims: dict[str, Any] = {
        "aud": audience,
        "iss": iss,
        "idp": iss,
        "iat": iat,
        "nbf": iat,
        "exp": math.ceil(issued_at + lifetime),
        "appid": identity.client_id,
        "appidacr": "1",
        "azp": identity.client_id,
        "azpacr": "1",
        "idtyp": "app",
        "oid": identity.object_id,
        "sub": identity.object_id,
        "tid": tid,
        "uti": secrets.token_urlsafe(16),
        "ver": "1.0",
    }
    key = signing_key or world.signing_key.private_key
    headers = {"kid": world.signing_key.kid, "typ": "JWT"}
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


def mint_user_token(
    world: World, user: User, *, client_id: str, issued_at: float, lifetime: float
) -> str:
    """The signed v1.0 access token of a signed-in ``user`` (delegated, §10.4).

    Like an app's token, but ``idtyp`` is ``"user"``, ``appid`` is the public
    client the user signed in with, and ``upn``/``unique_name``/``name`` and
    ``scp`` (the delegated permission) say who and what.
    """
    iss = v1_issuer(world.tenant_id)
    iat = int(issued_at)
    claims: dict[str, Any] = {
        "aud": RELAY_AUDIENCE,
        "iss": iss,
        "iat": iat,
        "nbf": iat,
        "exp": int(issued_at + lifetime),
        "appid": client_id,
        "appidacr": "0",
        "amr": ["pwd"],
        "idtyp": "user",
        "name": user.name,
        "oid": user.object_id,
        "sub": user.object_id,
        "scp": USER_SCOPE,
        "tid": world.tenant_id,
        "unique_name": user.upn,
        "upn": user.upn,
        "uti": secrets.token_urlsafe(16),
        "ver": "1.0",
    }
    headers = {"kid": world.signing_key.kid, "typ": "JWT"}
    return jwt.encode(claims, world.signing_key.private_key, algorithm="RS256", headers=headers)


@dataclass(frozen=True)
class JwtPrincipal:
    """The principal of a validated access token (§10.4)."""

    object_id: str
    app_id: str
    tenant_id: str
    expires_at: float
    is_user: bool = False


class JwtValidator:
    """Validates the emulator's access tokens the way the relay would (§13).

    Checks, in order: size and structure, ``kid`` and RS256 signature with the
    world's signing key, ``aud`` in :data:`ACCEPTED_AUDIENCES`, ``iss`` = the
    v1 issuer of the world's tenant, ``tid``, then ``nbf``/``exp`` against
    ``now()`` with ``leeway`` seconds of skew.
    """

    def __init__(
        self,
        world: World,
        *,
        leeway: float = DEFAULT_LEEWAY,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._world = world
        self._leeway = leeway
        self._now = now

    def validate(self, token: str) -> JwtPrincipal:
        """Return the token's principal or raise :class:`TokenRejected` (401)."""
        claims = self._verified_claims(token)
        now = self._now()
        expires_at = float(claims["exp"])
        if now - self._leeway >= expires_at:
            stamp = datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            raise TokenRejected(
                401, "TokenExpired", f"The token is expired. Expiration time: {stamp}"
            )
        if now + self._leeway < float(claims["nbf"]):
            raise TokenRejected(401, "TokenNotYetValid", "The token is not yet valid.")
        if claims["tid"] != self._world.tenant_id:
            raise TokenRejected(401, "InvalidTenant", "The token was issued by another tenant.")
        return JwtPrincipal(
            object_id=str(claims["oid"]).lower(),
            app_id=str(claims["appid"]).lower(),
            tenant_id=str(claims["tid"]),
            expires_at=expires_at,
            is_user=claims.get("idtyp") == "user",
        )

    def _verified_claims(self, token: str) -> dict[str, Any]:
        if len(token) > _MAX_TOKEN_CHARS or token.count(".") != 2:
            raise TokenRejected(401, "MalformedToken", "The token is missing or malformed.")
        key = self._world.signing_key
        try:
            header = jwt.get_unverified_header(token)
            if header.get("kid") != key.kid:
                raise jwt.InvalidSignatureError("unknown kid")
            claims: dict[str, Any] = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=["RS256"],
                audience=list(ACCEPTED_AUDIENCES),
                issuer=v1_issuer(self._world.tenant_id),
                options={
                    "require": ["exp", "nbf", "iat", "aud", "iss", "tid", "oid", "appid"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise _rejection(exc) from None
        if not all(isinstance(claims[k], (int, float)) for k in ("exp", "nbf")):
            raise TokenRejected(401, "MalformedToken", "The token is missing or malformed.")
        return claims


def _rejection(exc: jwt.PyJWTError) -> TokenRejected:
    """Map a PyJWT error to the service-like 401 (§4.2 live texts)."""
    if isinstance(exc, (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError)):
        return invalid_signature()
    if isinstance(exc, jwt.InvalidAudienceError):
        return wrong_audience()
    if isinstance(exc, jwt.InvalidIssuerError):
        return TokenRejected(401, "InvalidIssuer", "The token has an untrusted issuer.")
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return TokenRejected(401, "MalformedToken", f"The token lacks the claim '{exc.claim}'.")
    return TokenRejected(401, "MalformedToken", "The token is missing or malformed.")
