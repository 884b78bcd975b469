"""Users signing in to the emulated Entra ID: browser (auth code + PKCE) and device code.

What MSAL's public-client flows need (protocol §10.1, §12; OAuth 2.0 RFC 6749,
PKCE RFC 7636, device authorization RFC 8628), served like Entra serves it:

* ``GET /{tenant}/oauth2/v2.0/authorize``: a small HTML sign-in page (user
  name and password); ``POST`` to the same URL signs in and answers the
  loopback ``redirect_uri`` with ``code`` and ``state`` (``response_mode=form_post``
  as an auto-submitting form, which MSAL 1.3x requires; else a 302 with a query).
* ``POST /{tenant}/oauth2/v2.0/devicecode`` → ``device_code``, ``user_code``,
  ``verification_uri`` (``/devicelogin`` on this host), ``expires_in``, ``interval``.
* ``GET/POST /devicelogin``: enter the code, then the user's credentials (or
  cancel, which denies the device).
* Token grants (called by ``entra.py``'s token endpoint): ``authorization_code``
  (the PKCE ``code_verifier`` must hash to the ``code_challenge``, S256),
  ``refresh_token`` and ``urn:ietf:params:oauth:grant-type:device_code``
  (``authorization_pending``, ``slow_down``, ``expired_token``,
  ``access_denied``).

Users sign in through a public client: the well-known one
(:data:`relaydesk.protocol.clouds.PUBLIC_CLIENT_ID`) or any app registration of
the world. Codes, device codes and refresh tokens live in memory only; the
"require sign-in again" fault drops every refresh token, so the next silent
renewal gets ``invalid_grant`` (AADSTS50078, interaction required) and MSAL
asks the person again. Passwords, codes and tokens are never logged.

Once the password is right, Entra can still refuse the person (``_admit``):
an account of another tenant (world config ``users[].home_tenant``), never
invited here as a guest, gets AADSTS50020; a user signing in through an app
registration whose delegated grant does not cover them (world config
``identities[].user_consent``: ``"admin"`` for everyone, else the users who
consented) gets AADSTS65001 with ``suberror`` ``consent_required``. The
well-known public client is first-party: no consent needed. The browser flow
redirects the error to the loopback URI (as Entra does for ``consent_required``);
the device flow shows it on the verification page and answers the device's
next poll with it (so the device need not wait out the code's lifetime).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import secrets
import string
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from aiohttp import web

from relaydesk.emulator.jwt_tokens import mint_user_token
from relaydesk.emulator.world_model import User, World
from relaydesk.protocol.clouds import PUBLIC_CLIENT_ID

__all__ = [
    "DEVICE_CODE_GRANT",
    "USER_GRANTS",
    "EntraFailure",
    "UserSignIn",
]

_log = logging.getLogger(__name__)

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER_GRANTS = frozenset({"authorization_code", "refresh_token", DEVICE_CODE_GRANT})
_RESOURCE_SCOPES = ("https://relay.azure.net/.default", "https://relay.azure.net//.default")
_OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_CODE_LIFETIME = 600.0
_USER_CODE_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"


class EntraFailure(Exception):
    """An AADSTS error to answer with (status, error, code, description, suberror)."""

    def __init__(
        self, status: int, error: str, code: int, text: str, *, suberror: str | None = None
    ) -> None:
        super().__init__(code)
        self.status, self.error, self.code, self.text = status, error, code, text
        self.suberror = suberror


@dataclass
class _AuthCode:
    user: User
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    nonce: str | None
    expires_at: float


@dataclass
class _DeviceGrant:
    client_id: str
    user_code: str
    scope: str
    expires_at: float
    interval: int
    last_poll: float = 0.0
    state: str = "pending"  # pending | approved | denied | failed
    user: User | None = field(default=None, repr=False)
    failure: EntraFailure | None = None


@dataclass(frozen=True)
class _RefreshGrant:
    user_name: str
    client_id: str
    scope: str


class UserSignIn:
    """The user-facing half of the emulated tenant (pages, codes, refresh tokens).

    Args:
        world: the tenant and its users.
        token_lifetime: seconds an access token is valid.
        device_code_interval: seconds a device must wait between polls.
        device_code_lifetime: seconds a device code stays valid (Entra: 900).
        now: clock, seconds since the epoch.
    """

    def __init__(
        self,
        world: World,
        *,
        token_lifetime: float = 3600,
        device_code_interval: int = 5,
        device_code_lifetime: float = 900,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.world = world
        self.token_lifetime = token_lifetime
        self.device_code_interval = device_code_interval
        self.device_code_lifetime = device_code_lifetime
        self._now = now
        self._codes: dict[str, _AuthCode] = {}
        self._devices: dict[str, _DeviceGrant] = {}
        self._refresh: dict[str, _RefreshGrant] = {}

    def routes(self) -> list[web.RouteDef]:
        """The sign-in pages and the device-code endpoint."""
        return [
            web.get("/{tenant}/oauth2/v2.0/authorize", self.authorize_page),
            web.post("/{tenant}/oauth2/v2.0/authorize", self.authorize_submit),
            web.post("/{tenant}/oauth2/v2.0/devicecode", self.device_code),
            web.get("/devicelogin", self.device_page),
            web.post("/devicelogin", self.device_submit),
        ]

    def require_sign_in_again(self) -> int:
        """Fault: forget every refresh token; returns how many were dropped."""
        count = len(self._refresh)
        self._refresh.clear()
        return count

    # --- browser: authorization code + PKCE ----------------------------------------

    async def authorize_page(self, request: web.Request) -> web.Response:
        """The sign-in form, or an error page for a request that cannot be answered."""
        try:
            self._check_authorize(request.query)
        except EntraFailure as failure:
            return _page("Sign-in error", _error_html(failure), status=failure.status)
        return _page("Sign in", _login_form(request.query_string, ""))

    async def authorize_submit(self, request: web.Request) -> web.Response:
        """Check the user's credentials and answer the redirect URI."""
        form = await request.post()
        query = dict(parse_qsl(str(form.get("q", "")), keep_blank_values=True))
        try:
            self._check_authorize(query)
        except EntraFailure as failure:
            return _page("Sign-in error", _error_html(failure), status=failure.status)
        if form.get("cancel"):
            return _redirect(query, {"error": "access_denied", "error_description": _CANCELLED})
        user = self._credentials(str(form.get("login", "")), str(form.get("passwd", "")))
        if user is None:
            return _page("Sign in", _login_form(str(form.get("q", "")), _BAD_PASSWORD))
        try:
            self._admit(user, query["client_id"])
        except EntraFailure as failure:
            error = failure.suberror or failure.error
            return _redirect(query, {"error": error, "error_description": _aadsts(failure)})
        code = secrets.token_urlsafe(32)
        self._codes[code] = _AuthCode(
            user=user,
            client_id=query["client_id"].lower(),
            redirect_uri=query["redirect_uri"],
            challenge=query["code_challenge"],
            scope=query.get("scope", ""),
            nonce=query.get("nonce"),
            expires_at=self._now() + _CODE_LIFETIME,
        )
        _log.info("user %s signed in (authorization code)", user.upn)
        return _redirect(query, {"code": code, "client_info": _client_info(self.world, user)})

    def _check_authorize(self, query: Mapping[str, str]) -> None:
        self._client(query.get("client_id", ""))
        redirect = query.get("redirect_uri", "")
        parts = urlsplit(redirect)
        if parts.scheme != "http" or (parts.hostname or "") not in _LOOPBACK_HOSTS:
            raise EntraFailure(
                400,
                "invalid_request",
                50011,
                f"The redirect URI '{redirect[:80]}' specified in the request does not match "
                "the redirect URIs configured for the application: a public client here "
                "redirects to http://localhost:PORT.",
            )
        if query.get("response_type") != "code":
            raise EntraFailure(
                400, "unsupported_response_type", 700054, "response_type must be 'code'."
            )
        if not query.get("code_challenge") or query.get("code_challenge_method") != "S256":
            raise EntraFailure(
                400,
                "invalid_request",
                9002325,
                "Proof Key for Code Exchange is required: send code_challenge with "
                "code_challenge_method=S256.",
            )
        _resource_scope(query.get("scope", ""))

    # --- device code (RFC 8628) ----------------------------------------------------

    async def device_code(self, request: web.Request) -> web.Response:
        """Start a device sign-in: codes and where the person enters them."""
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        try:
            client_id = self._client(form.get("client_id", ""))
            scope = form.get("scope", "")
            _resource_scope(scope)
        except EntraFailure as failure:
            return _json_error(failure)
        device = secrets.token_urlsafe(32)
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(9))
        lifetime = int(self.device_code_lifetime)
        self._devices[device] = _DeviceGrant(
            client_id=client_id,
            user_code=user_code,
            scope=scope,
            expires_at=self._now() + lifetime,
            interval=self.device_code_interval,
        )
        uri = f"https://{request.host}/devicelogin"
        return web.json_response(
            {
                "user_code": user_code,
                "device_code": device,
                "verification_uri": uri,
                "expires_in": lifetime,
                "interval": self.device_code_interval,
                "message": f"To sign in, use a web browser to open the page {uri} and enter "
                f"the code {user_code} to authenticate.",
            }
        )

    async def device_page(self, request: web.Request) -> web.Response:
        """Step 1: the code form."""
        return _page("Enter code", _code_form(""))

    async def device_submit(self, request: web.Request) -> web.Response:
        """Step 1 → 2 (a known code asks for the credentials), step 2 → done."""
        form = await request.post()
        user_code = str(form.get("otc", "")).strip().upper().replace("-", "")
        grant = self._device_by_user_code(user_code)
        if grant is None:
            return _page("Enter code", _code_form(_BAD_CODE))
        if form.get("cancel"):
            grant.state = "denied"
            return _page("Sign-in cancelled", "<p>You cancelled the sign-in on your device.</p>")
        if "login" not in form:
            return _page("Sign in", _device_login_form(user_code, ""))
        user = self._credentials(str(form.get("login", "")), str(form.get("passwd", "")))
        if user is None:
            return _page("Sign in", _device_login_form(user_code, _BAD_PASSWORD))
        try:
            self._admit(user, grant.client_id)
        except EntraFailure as failure:
            grant.state, grant.failure = "failed", failure
            _log.info("user %s may not sign in here: AADSTS%d", user.upn, failure.code)
            return _page("Sign-in error", _error_html(failure))
        grant.state, grant.user = "approved", user
        _log.info("user %s signed in (device code)", user.upn)
        return _page(
            "Signed in",
            f"<p id='done'>You have signed in as {html.escape(user.upn)} to the application on "
            "your device. You may now close this window.</p>",
        )

    def _device_by_user_code(self, user_code: str) -> _DeviceGrant | None:
        now = self._now()
        for grant in self._devices.values():
            if grant.user_code == user_code and grant.state == "pending":
                return grant if grant.expires_at > now else None
        return None

    # --- token endpoint grants -------------------------------------------------------

    def grant(self, fields: Mapping[str, str], *, issuer_base: str) -> dict[str, Any]:
        """Answer a user grant of the token endpoint (tokens for one user).

        Args:
            fields: the token request's form.
            issuer_base: ``https://host/{tid}`` (the id token's issuer + ``/v2.0``).

        Raises:
            EntraFailure: Entra's answer for a refused grant.
        """
        grant_type = fields.get("grant_type", "")
        client_id = self._client(fields.get("client_id", ""))
        if grant_type == "authorization_code":
            user, scope, nonce = self._redeem_code(fields, client_id)
        elif grant_type == "refresh_token":
            user = self._redeem_refresh(fields, client_id)
            scope, nonce = fields.get("scope", ""), None
        else:
            user, scope, nonce = self._redeem_device(fields, client_id)
        return self._tokens(user, client_id, scope, nonce, issuer_base)

    def _redeem_code(
        self, fields: Mapping[str, str], client_id: str
    ) -> tuple[User, str, str | None]:
        code = self._codes.pop(fields.get("code", ""), None)
        if code is None or code.expires_at <= self._now() or code.client_id != client_id:
            raise EntraFailure(
                400,
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to "
                "inactivity, or was already used. Send a new interactive authorization request.",
            )
        if fields.get("redirect_uri") != code.redirect_uri:
            raise EntraFailure(
                400, "invalid_grant", 50011, "The redirect URI differs from the authorize request."
            )
        verifier = fields.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        if not verifier or not secrets.compare_digest(expected, code.challenge):
            raise EntraFailure(
                400,
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the "
                "authorization request.",
            )
        return code.user, fields.get("scope") or code.scope, code.nonce

    def _redeem_refresh(self, fields: Mapping[str, str], client_id: str) -> User:
        grant = self._refresh.pop(fields.get("refresh_token", ""), None)
        user = self.world.users.get(grant.user_name) if grant else None
        if grant is None or user is None or grant.client_id != client_id:
            raise EntraFailure(
                400,
                "invalid_grant",
                50078,
                "Due to a configuration change made by your administrator, or because you "
                "moved to a new location, you must sign in again (interaction required).",
            )
        return user

    def _redeem_device(
        self, fields: Mapping[str, str], client_id: str
    ) -> tuple[User, str, str | None]:
        device = fields.get("device_code", "")
        grant = self._devices.get(device)
        now = self._now()
        if grant is None or grant.client_id != client_id or grant.expires_at <= now:
            self._devices.pop(device, None)
            raise EntraFailure(
                400, "expired_token", 70020, "The provided device code has expired: start again."
            )
        if grant.failure is not None:  # the page ended the sign-in: tell the device at once
            del self._devices[device]
            raise grant.failure
        if grant.state == "denied":
            del self._devices[device]
            raise EntraFailure(
                400, "access_denied", 70000, "The user declined the sign-in on the device."
            )
        if grant.state == "pending":
            too_soon = grant.last_poll and now - grant.last_poll < grant.interval - 0.5
            grant.last_poll = now
            if too_soon:
                raise EntraFailure(400, "slow_down", 70016, "Poll less often (interval).")
            raise EntraFailure(
                400,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            )
        del self._devices[device]
        assert grant.user is not None
        return grant.user, grant.scope, None

    def _tokens(
        self, user: User, client_id: str, scope: str, nonce: str | None, issuer_base: str
    ) -> dict[str, Any]:
        resource = _resource_scope(scope)
        now = self._now()
        lifetime = int(self.token_lifetime)
        refresh = secrets.token_urlsafe(48)
        self._refresh[refresh] = _RefreshGrant(user.name, client_id, scope)
        _log.info("issued a user token for %s, valid %d s", user.upn, lifetime)
        return {
            "token_type": "Bearer",
            "scope": resource,
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": mint_user_token(
                self.world, user, client_id=client_id, issued_at=now, lifetime=lifetime
            ),
            "refresh_token": refresh,
            "id_token": self._id_token(user, client_id, nonce, issuer_base, now),
            "client_info": _client_info(self.world, user),
        }

    def _id_token(
        self, user: User, client_id: str, nonce: str | None, issuer_base: str, now: float
    ) -> str:
        claims: dict[str, Any] = {
            "aud": client_id,
            "iss": f"{issuer_base}/v2.0",
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + self.token_lifetime),
            "name": user.name,
            "oid": user.object_id,
            "preferred_username": user.upn,
            "sub": user.object_id,
            "tid": self.world.tenant_id,
            "ver": "2.0",
        }
        if nonce:
            claims["nonce"] = nonce
        key = self.world.signing_key
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    # --- checks ---------------------------------------------------------------------

    def _client(self, client_id: str) -> str:
        wanted = client_id.strip().lower()
        if wanted == PUBLIC_CLIENT_ID or self.world.identity_by_client_id(wanted) is not None:
            return wanted
        raise EntraFailure(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id[:80]}' was not found in the directory "
            f"'{self.world.tenant_id}'.",
        )

    def _admit(self, user: User, client_id: str) -> None:
        """What Entra checks once the password is right, before it issues a code.

        An account whose home is another tenant and that was never invited here
        gets AADSTS50020; a user signing in through an app registration that no
        delegated grant covers for them gets AADSTS65001 (``consent_required``).
        The emulated tenant lets no user consent (the admin-consent setting):
        consent is configuration (``user_consent`` of an app), not a page.
        """
        app = self.world.identity_by_client_id(client_id.strip().lower())
        app_name = app.name if app is not None else "RelayDesk public client"
        if user.home_tenant is not None:
            raise EntraFailure(
                400,
                "invalid_request",
                50020,
                f"User account '{user.upn}' from identity provider "
                f"'https://sts.windows.net/{user.home_tenant}/' does not exist in tenant "
                f"'{self.world.domain}' and cannot access the application "
                f"'{client_id}'({app_name}) in that tenant. The account needs to be added as "
                "an external user in the tenant first. Sign out and sign in again with a "
                "different Microsoft Entra user account.",
            )
        if app is not None and not app.consented_for(user.name):
            raise EntraFailure(
                400,
                "invalid_grant",
                65001,
                "The user or administrator has not consented to use the application with ID "
                f"'{client_id}' named '{app_name}'. Send an interactive authorization request "
                "for this user and resource.",
                suberror="consent_required",
            )

    def _credentials(self, login: str, password: str) -> User | None:
        user = self.world.user_by_upn(login)
        if user is None or not secrets.compare_digest(password.encode(), user.password.encode()):
            return None
        return user


def _resource_scope(scope: str) -> str:
    """The Relay scope among the requested ones (OIDC scopes aside)."""
    requested = [s for s in scope.split() if s.lower() not in _OIDC_SCOPES]
    if len(requested) == 1 and requested[0].lower() in _RESOURCE_SCOPES:
        return requested[0]
    raise EntraFailure(
        400,
        "invalid_scope",
        70011,
        f"The provided value for the input parameter 'scope' is not valid: {scope[:120]!r}. "
        f"This emulator issues tokens for {_RESOURCE_SCOPES[0]} only.",
    )


def _client_info(world: World, user: User) -> str:
    raw = json.dumps({"uid": user.object_id, "utid": world.tenant_id}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


# --- HTML ---------------------------------------------------------------------------

_CANCELLED = "AADSTS50058: The user cancelled the sign-in."
_BAD_PASSWORD = "Your account or password is incorrect."
_BAD_CODE = "That code didn't work. Check the code and try again."
_STYLE = (
    "body{font-family:sans-serif;max-width:28em;margin:3em auto;color:#1b1b1b}"
    "input{display:block;width:100%;margin:.4em 0 1em;padding:.4em;font-size:1em}"
    "button{padding:.5em 1.2em;margin-right:.6em}.error{color:#a80000}"
)


def _page(title: str, body: str, *, status: int = 200) -> web.Response:
    text = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f" - RelayDesk emulator</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>RelayDesk emulator (a local stand-in for "
        f"Microsoft Entra ID)</p>{body}</body></html>"
    )
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}
    return web.Response(text=text, status=status, content_type="text/html", headers=headers)


def _error_line(message: str) -> str:
    return f"<p class='error' id='error'>{html.escape(message)}</p>" if message else ""


def _login_form(query: str, error: str) -> str:
    return (
        f"{_error_line(error)}<form method='post' id='signin'>"
        f"<input type='hidden' name='q' value='{html.escape(query, quote=True)}'>"
        "<label>Email or user name<input name='login' id='login' autocomplete='username'>"
        "</label><label>Password<input name='passwd' id='passwd' type='password' "
        "autocomplete='current-password'></label>"
        "<button type='submit' id='submit'>Sign in</button>"
        "<button type='submit' name='cancel' value='1' id='cancel'>Cancel</button></form>"
    )


def _code_form(error: str) -> str:
    return (
        f"{_error_line(error)}<form method='post' id='code'>"
        "<label>Enter the code shown on your device<input name='otc' id='otc' "
        "autocomplete='off'></label><button type='submit' id='next'>Next</button></form>"
    )


def _device_login_form(user_code: str, error: str) -> str:
    return (
        f"{_error_line(error)}<form method='post' id='signin'>"
        f"<input type='hidden' name='otc' value='{html.escape(user_code, quote=True)}'>"
        "<label>Email or user name<input name='login' id='login'></label>"
        "<label>Password<input name='passwd' id='passwd' type='password'></label>"
        "<button type='submit' id='submit'>Sign in</button>"
        "<button type='submit' name='cancel' value='1' id='cancel'>Cancel</button></form>"
    )


def _aadsts(failure: EntraFailure) -> str:
    return f"AADSTS{failure.code}: {failure.text}"


def _error_html(failure: EntraFailure) -> str:
    return _error_line(_aadsts(failure))


def _redirect(query: Mapping[str, str], values: Mapping[str, str]) -> web.Response:
    """Answer the loopback redirect URI, as ``response_mode`` asks."""
    params = {**values, "state": query.get("state", ""), "session_state": str(uuid.uuid4())}
    target = query["redirect_uri"]
    if query.get("response_mode") == "form_post":
        inputs = "".join(
            f"<input type='hidden' name='{html.escape(k, quote=True)}' "
            f"value='{html.escape(v, quote=True)}'>"
            for k, v in params.items()
        )
        return _page(
            "Signing in",
            f"<form method='post' id='post' action='{html.escape(target, quote=True)}'>"
            f"{inputs}<noscript><button type='submit'>Continue</button></noscript></form>"
            "<script>document.getElementById('post').submit()</script>",
        )
    sep = "&" if "?" in target else "?"
    raise web.HTTPFound(f"{target}{sep}{urlencode(params)}")


def _json_error(failure: EntraFailure) -> web.Response:
    body: dict[str, Any] = {
        "error": failure.error,
        "error_description": _aadsts(failure),
        "error_codes": [failure.code],
    }
    if failure.suberror:
        body["suberror"] = failure.suberror
    return web.json_response(body, status=failure.status)
