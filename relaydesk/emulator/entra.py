"""The emulated Microsoft Entra ID: OIDC discovery, JWKS, client credentials.

Serves what MSAL Python needs against a local authority (§12, platform notes
"MSAL against a local authority") on the emulator's TLS port:

* ``GET /{tenant}/v2.0/.well-known/openid-configuration`` (§10.5)
* ``GET /{tenant}/discovery/v2.0/keys`` (§10.5)
* ``POST /{tenant}/oauth2/v2.0/token``, client-credentials grant (§10.6), and
  the grants of users signing in (authorization code, refresh token, device
  code) with the sign-in pages of ``user_signin.py``

``{tenant}`` is the tenant GUID or the world's verified domain
(``relaydesk.localhost`` by default).

The tokens are v1.0 access tokens minted by ``jwt_tokens.py`` (§10.4, whose
docstring lists the claims); :class:`JwtValidator`, :func:`issue_token_for`
and the audience constants are re-exported here. The discovery document's
``issuer`` is the v2 issuer ``https://host:port/{tid}/v2.0`` (as in real
Entra, where id-token issuer and v1 access-token issuer differ).

Errors use Entra's JSON shape and the AADSTS codes of §10.6. Secrets and
tokens are never logged nor echoed in an error.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import re
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import jwt
from aiohttp import web

from relaydesk.emulator.jwt_tokens import (
    ACCEPTED_AUDIENCES,
    RELAY_AUDIENCE,
    JwtPrincipal,
    JwtValidator,
    issue_token_for,
    mint_token,
    v1_issuer,
)
from relaydesk.emulator.user_signin import USER_GRANTS, UserSignIn
from relaydesk.emulator.user_signin import EntraFailure as _EntraFailure
from relaydesk.emulator.world_model import Identity, World
from relaydesk.errors import EmulatorError

__all__ = [
    "ACCEPTED_AUDIENCES",
    "ACCEPTED_SCOPES",
    "MIN_TOKEN_LIFETIME",
    "RELAY_AUDIENCE",
    "EntraService",
    "JwtPrincipal",
    "JwtValidator",
    "check_token_lifetime",
    "issue_token_for",
    "v1_issuer",
]

_log = logging.getLogger(__name__)

#: §10.1: SDKs send the double-slash form, azure-relay-bridge the single one.
ACCEPTED_SCOPES = ("https://relay.azure.net/.default", "https://relay.azure.net//.default")

#: Shortest access token lifetime the emulator issues, in seconds. The token
#: response's ``expires_in`` is a whole number of seconds (RFC 6749 §5.1), so
#: a shorter lifetime is announced as ``expires_in: 0``: a token expired on
#: arrival, which no client can schedule a renewal for (MSAL treats it as
#: stale at once) and which the relay would close with 1008 right after the
#: listener attached. At 1 s a client that renews halfway (relay/renewal.py)
#: has half a second for the token round trip on loopback: enough, and the
#: shortest lifetime that exercises renewal. (Entra's own floor is 10 min.)
MIN_TOKEN_LIFETIME = 1.0

_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_MULTI_TENANT_ALIASES = frozenset({"common", "organizations", "consumers"})
_NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
#: The only body the token endpoint reads (§10.6).
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
#: Largest token request body read; a client-credentials form is a few hundred bytes.
MAX_FORM_BYTES = 64 * 1024
#: Most fields a token request form may have.
MAX_FORM_FIELDS = 100


def check_token_lifetime(seconds: float) -> None:
    """Raise :class:`EmulatorError` unless ``seconds`` is a lifetime the emulator issues."""
    if not (seconds >= MIN_TOKEN_LIFETIME and math.isfinite(seconds)):
        raise EmulatorError(
            f"token_lifetime must be a finite number of seconds >= {MIN_TOKEN_LIFETIME:g}, "
            f"not {seconds!r}: expires_in is whole seconds, and a shorter token expires "
            "before any client can renew it"
        )


def _clip(value: str, limit: int = 80) -> str:
    """User input echoed in an error text, bounded (never a secret)."""
    return value if len(value) <= limit else value[:limit] + "…"


class EntraService:
    """aiohttp handlers of the emulated Entra tenant (§10.5, §10.6).

    Args:
        world: the emulated tenant.
        token_lifetime: seconds an access token is valid (default 3600).
        now: clock, seconds since the epoch.
    """

    def __init__(
        self,
        world: World,
        *,
        token_lifetime: float = 3600,
        now: Callable[[], float] = time.time,
        users: UserSignIn | None = None,
    ) -> None:
        check_token_lifetime(token_lifetime)
        self.world = world
        self.token_lifetime = token_lifetime
        self._now = now
        self.users = users or UserSignIn(world, token_lifetime=token_lifetime, now=now)

    def routes(self) -> list[web.RouteDef]:
        """The route definitions; add them with ``app.add_routes(...)``."""
        return [
            web.get("/{tenant}/v2.0/.well-known/openid-configuration", self.discovery),
            web.get("/{tenant}/discovery/v2.0/keys", self.keys),
            web.post("/{tenant}/oauth2/v2.0/token", self.token),
            *self.users.routes(),
        ]

    def add_routes(self, app: web.Application) -> None:
        """Register the Entra endpoints on ``app``."""
        app.add_routes(self.routes())

    # --- handlers ------------------------------------------------------------

    async def discovery(self, request: web.Request) -> web.Response:
        """OIDC discovery document of the v2 endpoint (§10.5, §12.4)."""
        try:
            tid = self._tenant(request.match_info["tenant"], discovery=True)
        except _EntraFailure as failure:
            return self._error(request, failure)
        base = f"https://{request.host}/{tid}"
        document = _discovery_document(base, tid)
        headers = {"Cache-Control": "max-age=86400, private", "Access-Control-Allow-Origin": "*"}
        return web.json_response(document, headers=headers)

    async def keys(self, request: web.Request) -> web.Response:
        """JWKS with the world's signing key (§10.5)."""
        try:
            tid = self._tenant(request.match_info["tenant"], discovery=True)
        except _EntraFailure as failure:
            return self._error(request, failure)
        key = self.world.signing_key
        jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(
            key.private_key.public_key(), as_dict=True
        )
        jwk.update(use="sig", kid=key.kid, issuer=v1_issuer(tid))
        return web.json_response({"keys": [jwk]})

    async def token(self, request: web.Request) -> web.Response:
        """Client-credentials grant (§10.6), or a user's grant (``user_signin.py``)."""
        try:
            tid = self._tenant(request.match_info["tenant"], discovery=False)
            fields = await _form_fields(request)
            if fields.get("grant_type") in USER_GRANTS:
                issuer_base = f"https://{request.host}/{tid}"
                body = self.users.grant(fields, issuer_base=issuer_base)
                return web.json_response(body, headers=_NO_STORE)
            identity = self._authenticate(fields, request.headers.get("Authorization"))
        except _EntraFailure as failure:
            _log.info("token request refused: AADSTS%d (%s)", failure.code, failure.error)
            return self._error(request, failure)
        now = self._now()
        token = mint_token(self.world, identity, issued_at=now, lifetime=self.token_lifetime)
        expires_in = int(self.token_lifetime)
        _log.info("issued a token for identity %r, valid %d s", identity.name, expires_in)
        body = {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": token,
        }
        return web.json_response(body, headers=_NO_STORE)

    def malformed_request(self, request: web.Request, reason: str) -> web.Response:
        """Entra's 400 for a request it cannot read (head or body), AADSTS9002313."""
        _log.info("request refused: AADSTS9002313 (%s)", reason)
        return self._error(request, _malformed(reason))

    # --- checks --------------------------------------------------------------

    def _tenant(self, tenant: str, *, discovery: bool) -> str:
        if self.world.knows_tenant(tenant):
            return self.world.tenant_id
        # [EMU] the multi-tenant aliases exist in Entra but not here: client
        # credentials need a tenant-specific authority (§10.1, §12.11).
        alias = tenant.lower() in _MULTI_TENANT_ALIASES
        if not (alias or _GUID_RE.fullmatch(tenant) or _DOMAIN_RE.fullmatch(tenant)):
            raise _EntraFailure(
                400,
                "invalid_request",
                900023,
                f"Specified tenant identifier '{_clip(tenant)}' is neither a valid DNS "
                "name, nor a valid external domain.",
            )
        raise _EntraFailure(
            400,
            "invalid_tenant" if discovery else "invalid_request",
            90002,
            f"Tenant '{_clip(tenant)}' not found. Check to make sure you have the correct "
            "tenant ID and are signing into the correct cloud."
            + (" This emulator serves only its own tenant id or domain." if alias else ""),
        )

    def _authenticate(self, fields: Mapping[str, str], authorization: str | None) -> Identity:
        grant = _required(fields, "grant_type")
        if grant != "client_credentials":
            raise _EntraFailure(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{_clip(grant)}'.",
            )
        basic_id, basic_secret = _basic_credentials(authorization)
        client_id = fields.get("client_id") or basic_id
        if not client_id:
            raise _missing("client_id")
        identity = self.world.identity_by_client_id(client_id)
        if identity is None:
            raise _EntraFailure(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{_clip(client_id)}' was not found in the "
                f"directory '{self.world.tenant_id}'. This can happen if the application "
                "has not been installed by the administrator of the tenant or consented "
                "to by any user in the tenant. You may have sent your authentication "
                "request to the wrong tenant.",
            )
        _check_scope(_required(fields, "scope"))
        _check_secret(identity, fields.get("client_secret") or basic_secret)
        return identity

    def _error(self, request: web.Request, failure: _EntraFailure) -> web.Response:
        """Entra's error JSON (§10.6): description with trace/correlation ids."""
        trace_id = str(uuid.uuid4())
        correlation_id = _correlation_id(request.headers.get("client-request-id"))
        stamp = datetime.fromtimestamp(self._now(), UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        description = (
            f"AADSTS{failure.code}: {failure.text} \r\nTrace ID: {trace_id}\r\n"
            f"Correlation ID: {correlation_id}\r\nTimestamp: {stamp}"
        )
        body = {
            "error": failure.error,
            "error_description": description,
            "error_codes": [failure.code],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={failure.code}",
        }
        if failure.suberror:
            body["suberror"] = failure.suberror
        return web.json_response(body, status=failure.status, headers=_NO_STORE)


def _discovery_document(base: str, tid: str) -> dict[str, Any]:
    """The §10.5 discovery keys, pointing at this emulator."""
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/openid/userinfo",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "oid", "tid", "ver"],
        "kerberos_endpoint": f"{base}/kerberos",
        "tenant_region_scope": "EU",
        "cloud_instance_name": "relaydesk.localhost",
        "cloud_graph_host_name": "graph.relaydesk.localhost",
        "msgraph_host": "graph.relaydesk.localhost",
        "rbac_url": "https://rbac.relaydesk.localhost",
    }


async def _form_fields(request: web.Request) -> dict[str, str]:
    """The fields of the token request's form body (§10.6), decoded strictly.

    Entra reads only ``application/x-www-form-urlencoded`` bodies. [EMU] Any
    other body (JSON, multipart) and a form that does not decode (not ASCII,
    ``%``-escapes that are not UTF-8) are read as an empty form, so the client
    gets Entra's AADSTS900144 "must contain 'grant_type'" answer. The form is
    decoded here rather than by aiohttp's generic ``request.post()``, whose
    multipart and charset handling answered 500 to a truncated part or an
    unknown charset. A repeated field keeps its last value.

    Raises:
        _EntraFailure: AADSTS9002313 for a body larger than :data:`MAX_FORM_BYTES`.
    """
    if request.content_type != FORM_CONTENT_TYPE:
        return {}
    too_large = _malformed(f"The request body is larger than {MAX_FORM_BYTES} bytes.")
    if (request.content_length or 0) > MAX_FORM_BYTES:
        raise too_large
    body = await request.read()
    if len(body) > MAX_FORM_BYTES:
        raise too_large
    try:
        text = body.decode("ascii")
        return dict(
            parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS)
        )
    except ValueError:  # not ASCII, escapes that are not UTF-8, too many fields
        return {}


def _malformed(reason: str) -> _EntraFailure:
    return _EntraFailure(
        400,
        "invalid_request",
        9002313,
        f"Invalid request. Request is malformed or invalid. {reason}",
    )


def _required(fields: Mapping[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise _missing(name)
    return value


def _missing(name: str) -> _EntraFailure:
    return _EntraFailure(
        400,
        "invalid_request",
        900144,
        f"The request body must contain the following parameter: '{name}'.",
    )


def _check_scope(scope: str) -> None:
    if scope.lower() not in ACCEPTED_SCOPES:
        raise _EntraFailure(
            400,
            "invalid_scope",
            70011,
            "The provided request must include a 'scope' input parameter. The provided "
            f"value for the input parameter 'scope' is not valid. The scope {_clip(scope)} "
            f"is not valid. This emulator issues tokens for {ACCEPTED_SCOPES[0]} only.",
        )


def _check_secret(identity: Identity, secret: str | None) -> None:
    if not secret:
        # §10.6 [UNKNOWN] status: answered like a failed client authentication.
        # Client assertions (certificates) are not supported and land here too.
        raise _EntraFailure(
            401,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the "
            "'client_credentials' grant type.",
        )
    if not secrets.compare_digest(secret.encode("utf-8"), identity.client_secret.encode("utf-8")):
        raise _EntraFailure(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request "
            "is the client secret value, not the client secret ID, for a secret added to "
            f"app '{identity.client_id}'.",
        )


def _basic_credentials(authorization: str | None) -> tuple[str | None, str | None]:
    """client_id and secret from HTTP Basic (RFC 6749 §2.3.1), if present."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None, None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None, None
    return unquote_plus(user) or None, unquote_plus(password) or None


def _correlation_id(client_request_id: str | None) -> str:
    """Entra echoes MSAL's ``client-request-id`` as the correlation id."""
    if client_request_id and _GUID_RE.fullmatch(client_request_id.strip()):
        return client_request_id.strip().lower()
    return str(uuid.uuid4())
