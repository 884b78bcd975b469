"""Entra ID client-credentials tokens via MSAL (protocol §10.1, §10.6, §12).

One ``msal.ConfidentialClientApplication`` per provider, so its token cache
works. MSAL blocks: its constructor performs OIDC discovery over HTTP (§12
item 4) and ``acquire_token_for_client`` posts to the token endpoint, so both
run only inside :func:`asyncio.to_thread`. The app is built lazily on the
first ``get_token`` and rebuilt after a failed construction (an unknown
tenant, an unreachable authority).

Renewal (§4.6, §12 item 8): MSAL serves a cached token until 5 minutes
before expiry. When the caller needs more (``min_valid_for``) or a later
expiry (``expires_after``) than the cached token gives, the provider empties
the cache (``remove_tokens_for_client``) and asks the identity provider.

MSAL (and with it ``requests``) is imported with the first ``get_token``: the
desktop app builds providers as soon as a profile is chosen, and a window
that nobody connects from needs no token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from relaydesk.auth.entra_http import AuthorityHttpClient, CaBundle
from relaydesk.auth.provider import require_later_expiry
from relaydesk.auth.tokens import AccessToken, decode_jwt_claims
from relaydesk.errors import AuthError, EntraError, InvalidField, InvalidTokenFormat, ProxyError
from relaydesk.protocol.clouds import DEFAULT_CLOUD, get_cloud
from relaydesk.proxy import ProxySettings
from relaydesk.secrets import Secret

__all__ = ["EntraTokenProvider"]

Clock = Callable[[], float]


class EntraTokenProvider:
    """Client-credentials tokens for one app registration (§10.6).

    Args:
        tenant_id: tenant GUID or verified domain (``contoso.onmicrosoft.com``).
        client_id: the app's Application (client) ID.
        client_secret: the secret's *Value*.
        cloud: ``"public"``, ``"usgov"`` or ``"china"`` (:mod:`relaydesk.protocol.clouds`).
        authority_host: override the cloud's ``https://`` authority host
            (the emulator); disables MSAL's instance discovery (§12 item 3).
        ca_file: an extra CA to trust (emulator, TLS-intercepting proxy).
        trust_system_cas: keep trusting the usual CAs besides ``ca_file``;
            ``False`` trusts only ``ca_file`` (fine for the emulator).
        scope: override the scope (default ``{resource}/.default``).
        timeout: seconds for each HTTP connect/read.
        proxy: how to reach the authority (``None`` = system mode); a proxy
            failure raises :class:`~relaydesk.errors.ProxyError`.
        clock: wall clock, seconds since the epoch.

    Raises:
        InvalidField: empty tenant/client id/secret, unknown cloud, non-https
            authority host, unreadable CA file.
    """

    kind = "entra"

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: Secret,
        *,
        cloud: str = DEFAULT_CLOUD,
        authority_host: str | None = None,
        ca_file: Path | str | None = None,
        trust_system_cas: bool = True,
        scope: str | None = None,
        timeout: float = 30.0,
        proxy: ProxySettings | None = None,
        clock: Clock = time.time,
    ) -> None:
        _require("tenant_id", tenant_id, "the tenant id is empty")
        _require("client_id", client_id, "the client id is empty")
        if not client_secret:
            raise InvalidField("client_secret", "the client secret is empty")
        cloud_info = get_cloud(cloud)
        host = (authority_host or cloud_info.authority_host).strip().rstrip("/")
        if not host.lower().startswith("https://"):
            raise InvalidField("authority_host", "the authority host must be an https:// URL")
        self._tenant = tenant_id.strip()
        self._client_id = client_id.strip()
        self._secret = client_secret
        self._cloud = cloud_info.name
        self._authority = f"{host}/{self._tenant}"
        self._custom_authority = authority_host is not None
        self._scope = scope or cloud_info.default_scope
        self._clock = clock
        self._bundle = CaBundle(ca_file, trust_system_cas=trust_system_cas)
        self._http = AuthorityHttpClient(self._bundle.path, timeout=timeout, proxy=proxy)
        self._app: Any = None
        self._last: AccessToken | None = None
        self._lock = asyncio.Lock()

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def tenant_id(self) -> str:
        return self._tenant

    @property
    def authority(self) -> str:
        return self._authority

    @property
    def scope(self) -> str:
        return self._scope

    def describe(self) -> str:
        return f"Entra app {self._client_id} in tenant {self._tenant} ({self._cloud})"

    def __repr__(self) -> str:
        return (
            f"EntraTokenProvider(client_id={self._client_id!r}, "
            f"authority={self._authority!r}, scope={self._scope!r})"
        )

    async def get_token(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> AccessToken:
        """Return a token, from MSAL's cache when it satisfies the caller.

        Raises:
            EntraError: Entra refused (AADSTS code, ids, remedy).
            AuthNetworkError: the authority could not be reached (or TLS failed).
            TokenNotRenewable: even a fresh token does not expire after
                ``expires_after`` (retry in a second).
        """
        async with self._lock:
            token = await asyncio.to_thread(self._acquire)
            stale = not token.valid_for(min_valid_for, self._clock()) or (
                expires_after is not None and token.expires_at <= expires_after
            )
            if stale and token.from_cache:
                await asyncio.to_thread(self._remove_cached_tokens)
                token = await asyncio.to_thread(self._acquire)
        return require_later_expiry(token, expires_after, retry_after=1.0, what=self.describe())

    async def drop_cached_tokens(self) -> None:
        """Forget MSAL's cached tokens, so the next call asks the identity provider."""
        async with self._lock:
            await asyncio.to_thread(self._remove_cached_tokens)

    def close(self) -> None:
        """Release the HTTP session and any combined CA bundle file."""
        self._http.close()
        self._bundle.close()

    # --- blocking parts: only ever called through asyncio.to_thread -----------

    def _remove_cached_tokens(self) -> None:
        if self._app is not None:
            self._app.remove_tokens_for_client()

    def _build_app(self) -> Any:
        import msal

        kwargs: dict[str, Any] = {}
        if self._custom_authority:
            kwargs["instance_discovery"] = False
        return msal.ConfidentialClientApplication(
            self._client_id,
            client_credential=self._secret.reveal(),
            authority=self._authority,
            http_client=self._http,
            **kwargs,
        )

    def _acquire(self) -> AccessToken:
        from relaydesk.auth.entra_errors import error_from_exception, error_from_result

        started = self._clock()
        try:
            if self._app is None:
                self._app = self._build_app()
            result = self._app.acquire_token_for_client(scopes=[self._scope])
        except (AuthError, ProxyError):
            raise
        except Exception as exc:  # noqa: BLE001 - msal raises ValueError, requests, MsalServiceError…
            raise error_from_exception(
                exc, authority=self._authority, secret=self._secret.reveal()
            ) from None
        if not isinstance(result, Mapping) or "access_token" not in result:
            raise error_from_result(
                result if isinstance(result, Mapping) else {},
                secret=self._secret.reveal(),
                http_status=self._http.last_status,
            )
        return self._token_from_result(result, started)

    def _token_from_result(self, result: Mapping[str, Any], started: float) -> AccessToken:
        value = str(result["access_token"])
        try:
            expires_in = float(result.get("expires_in", 0))
        except (TypeError, ValueError):
            raise EntraError(
                "The token response has no valid expires_in", error="invalid_response"
            ) from None
        last = self._last
        if last is not None and last.value.reveal() == value:
            # The same token again (MSAL cache hit): keep its first-computed
            # expiry. Recomputing "now + expires_in" would drift by clock
            # jitter and make a cached token look like a renewal.
            expires_at = last.expires_at
            claims = last.claims
        else:
            expires_at = started + expires_in
            claims = _display_claims(value)
        token = AccessToken(
            value=Secret(value),
            expires_at=expires_at,
            kind="entra",
            identity=self._client_id,
            from_cache=result.get("token_source") == "cache",
            claims=claims,
        )
        self._last = token
        return token


def _display_claims(value: str) -> Mapping[str, object]:
    try:
        return decode_jwt_claims(value)
    except InvalidTokenFormat:
        return MappingProxyType({})  # an opaque (non-JWT) token: nothing to show


def _require(field: str, value: str, reason: str) -> None:
    if not value or not value.strip():
        raise InvalidField(field, reason)
