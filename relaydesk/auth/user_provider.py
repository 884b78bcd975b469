"""A person's own Entra ID tokens: sign in once (browser or device code), renew silently.

MSAL's public-client flows (protocol §10.1, §12):

* ``"browser"``: authorization code + PKCE. MSAL builds the request
  (``initiate_auth_code_flow``, ``response_mode=form_post``); RelayDesk opens
  the system browser (Python's :mod:`webbrowser`, which honours ``$BROWSER``)
  and receives the answer on its own loopback server on ``127.0.0.1``
  (redirect ``http://localhost:PORT``), an asyncio server so that a cancel
  ends the wait at once; MSAL then redeems the code
  (``acquire_token_by_auth_code_flow`` checks state and nonce).
* ``"device_code"``: ``initiate_device_flow``; the code and link go to
  ``on_device_code`` (the CLI prints them, the GUI shows them large); MSAL
  polls the token endpoint in a thread that a cancel stops within a second.

Afterwards ``acquire_token_silent_with_error`` serves tokens from the cache
and renews them with the refresh token; the cache persists between runs
(:mod:`relaydesk.auth.user_cache`). When renewal needs the person again
(``interaction_required``, a revoked refresh token), the provider asks again,
or, built with ``interactive=False``, raises :class:`SignInRequired`.
"""

from __future__ import annotations

import asyncio
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msal

from relaydesk.auth.entra_errors import error_from_exception, error_from_result
from relaydesk.auth.entra_http import AuthorityHttpClient, CaBundle
from relaydesk.auth.provider import require_later_expiry
from relaydesk.auth.tokens import AccessToken, decode_jwt_claims
from relaydesk.auth.user_cache import UserTokenCache
from relaydesk.errors import (
    AuthError,
    ConsentRequired,
    DeviceCodeExpired,
    EntraError,
    InvalidField,
    SignInCancelled,
    SignInRequired,
    UserNotInTenant,
)
from relaydesk.protocol.clouds import DEFAULT_CLOUD, PUBLIC_CLIENT_ID, get_cloud
from relaydesk.proxy import ProxySettings
from relaydesk.secrets import Secret

__all__ = ["DeviceCodePrompt", "SignInFlow", "SignInProgress", "UserTokenProvider"]

SignInFlow = Literal["browser", "device_code"]
Clock = Callable[[], float]

_INTERACTION = frozenset({"interaction_required", "invalid_grant", "login_required"})
#: The redirect's answer page. Its inline icon keeps the browser from asking
#: for /favicon.ico, a request that would come as the loopback server stops.
_SIGNED_IN_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>RelayDesk</title>"
    "<link rel='icon' href='data:,'></head>"
    "<body style='font-family:sans-serif;margin:3em'><h1 id='result'>{title}</h1>"
    "<p>{text}</p></body></html>"
)


@dataclass(frozen=True)
class DeviceCodePrompt:
    """What the person needs to sign in on another device (never a secret).

    Attributes:
        verification_uri: the page to open.
        user_code: the code to enter there.
        expires_in: seconds the code stays valid.
        message: Entra's own one-line instruction.
    """

    verification_uri: str
    user_code: str
    expires_in: int
    message: str


@dataclass(frozen=True)
class SignInProgress:
    """Where an interactive sign-in stands (for a progress display; never a secret).

    Attributes:
        flow: ``"browser"`` or ``"device_code"``.
        stage: ``"started"``, ``"device_code"`` (``prompt`` set), ``"finished"``
            or ``"failed"`` (``error`` set).
        prompt: the device code to show.
        error: why it failed (one line).
        cancel: ends the sign-in (its ``get_token`` raises ``SignInCancelled``).
    """

    flow: SignInFlow
    stage: Literal["started", "device_code", "finished", "failed"]
    prompt: DeviceCodePrompt | None = None
    error: str = ""
    cancel: Callable[[], None] | None = field(default=None, repr=False, compare=False)


class UserTokenProvider:
    """Delegated tokens of one signed-in person for Azure Relay.

    Args:
        tenant_id: tenant GUID, verified domain or ``organizations``.
        flow: ``"browser"`` or ``"device_code"``: how to ask when asking is needed.
        cache: where the sign-in lives (:func:`relaydesk.auth.user_cache.open_user_cache`).
        client_id: the public client (default: the well-known one,
            :data:`~relaydesk.protocol.clouds.PUBLIC_CLIENT_ID`).
        cloud, authority_host, ca_file, scope, timeout: as for
            :class:`~relaydesk.auth.entra_provider.EntraTokenProvider`.
        on_device_code: called on the event loop with the code to show.
        on_progress: called on the event loop as an interactive sign-in starts,
            shows a code, finishes or fails (a GUI's progress and cancel).
        open_browser: opens the sign-in URL (default: :func:`webbrowser.open`).
        interactive: ``False`` never asks: :class:`SignInRequired` instead.
        sign_in_timeout: seconds a browser sign-in may take.
        proxy: how to reach the authority (``None`` = system mode).
        clock: wall clock, seconds since the epoch.
    """

    kind = "entra"

    def __init__(
        self,
        tenant_id: str,
        flow: SignInFlow,
        cache: UserTokenCache,
        *,
        client_id: str | None = None,
        cloud: str = DEFAULT_CLOUD,
        authority_host: str | None = None,
        ca_file: Path | str | None = None,
        scope: str | None = None,
        timeout: float = 30.0,
        on_device_code: Callable[[DeviceCodePrompt], None] | None = None,
        on_progress: Callable[[SignInProgress], None] | None = None,
        open_browser: Callable[[str], object] | None = None,
        interactive: bool = True,
        sign_in_timeout: float = 300.0,
        proxy: ProxySettings | None = None,
        clock: Clock = time.time,
    ) -> None:
        if not tenant_id or not tenant_id.strip():
            raise InvalidField("tenant_id", "the tenant id is empty")
        if flow not in ("browser", "device_code"):
            raise InvalidField("sign_in", f"unknown sign-in {flow!r}: use browser or device_code")
        cloud_info = get_cloud(cloud)
        host = (authority_host or cloud_info.authority_host).strip().rstrip("/")
        if not host.lower().startswith("https://"):
            raise InvalidField("authority_host", "the authority host must be an https:// URL")
        self._tenant = tenant_id.strip()
        self._client_id = (client_id or PUBLIC_CLIENT_ID).strip()
        self._flow: SignInFlow = flow
        self._cache = cache
        self._authority = f"{host}/{self._tenant}"
        self._custom_authority = authority_host is not None
        self._scope = scope or cloud_info.default_scope
        self._bundle = CaBundle(ca_file, trust_system_cas=True)
        self._http = AuthorityHttpClient(self._bundle.path, timeout=timeout, proxy=proxy)
        self._on_device_code = on_device_code
        self._on_progress = on_progress
        self._stop: threading.Event | None = None
        self._received: asyncio.Future[dict[str, str]] | None = None
        self._open_browser = open_browser or webbrowser.open
        self._interactive = interactive
        self._sign_in_timeout = sign_in_timeout
        self._clock = clock
        self._app: Any = None
        self._lock = asyncio.Lock()
        self._last: AccessToken | None = None

    @property
    def authority(self) -> str:
        return self._authority

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def cache(self) -> UserTokenCache:
        return self._cache

    def describe(self) -> str:
        how = "browser" if self._flow == "browser" else "device code"
        return f"user sign-in ({how}) in tenant {self._tenant}, sign-in kept {self._cache.where}"

    def __repr__(self) -> str:
        return (
            f"UserTokenProvider(flow={self._flow!r}, client_id={self._client_id!r}, "
            f"authority={self._authority!r})"
        )

    async def get_token(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> AccessToken:
        """A token from the cache, renewed silently, or after the person signs in.

        Raises:
            SignInCancelled, SignInRequired, ConsentRequired, UserNotInTenant,
            DeviceCodeExpired, EntraError, AuthNetworkError.
        """
        return await self._get_token(min_valid_for, expires_after, self._interactive)

    async def get_token_silently(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> AccessToken:
        """A token from the cache or renewed silently; never asks the person.

        For background work (the sender pane's listener count) that must not
        open a browser or show a device code on its own.

        Raises:
            SignInRequired: nobody is signed in yet (or Entra asks again).
        """
        return await self._get_token(min_valid_for, expires_after, False)

    async def _get_token(
        self, min_valid_for: float, expires_after: float | None, interactive: bool
    ) -> AccessToken:
        async with self._lock:
            token = await asyncio.to_thread(self._silent, False)
            if token is not None and not self._fits(token, min_valid_for, expires_after):
                token = await asyncio.to_thread(self._silent, True)
            if token is None:
                if not interactive:
                    raise SignInRequired(
                        "Nobody is signed in for this identity yet, or the sign-in must be "
                        "repeated",
                        error="interaction_required",
                    )
                token = await self._sign_in()
        return require_later_expiry(token, expires_after, retry_after=1.0, what=self.describe())

    def _fits(self, token: AccessToken, min_valid_for: float, expires_after: float | None) -> bool:
        if not token.valid_for(min_valid_for, self._clock()):
            return False
        return expires_after is None or token.expires_at > expires_after

    async def sign_out(self) -> list[str]:
        """Forget every account this provider signed in (and its tokens)."""
        from relaydesk.auth.user_cache import sign_out

        async with self._lock:
            removed = await asyncio.to_thread(sign_out, self._cache)
            self._last = None
        return removed

    def close(self) -> None:
        """Release the HTTP session and any combined CA bundle file."""
        self._http.close()
        self._bundle.close()

    # --- interactive ------------------------------------------------------------------

    def cancel_sign_in(self) -> None:
        """End an interactive sign-in now: its ``get_token`` raises :class:`SignInCancelled`."""
        if self._stop is not None:
            self._stop.set()  # the polling thread returns within a second
        if self._received is not None and not self._received.done():
            self._received.set_exception(
                SignInCancelled("The sign-in was cancelled", error="cancelled")
            )

    def _progress(self, stage: Any, **kwargs: Any) -> None:
        if self._on_progress is not None:
            progress = SignInProgress(self._flow, stage, cancel=self.cancel_sign_in, **kwargs)
            self._on_progress(progress)

    async def _sign_in(self) -> AccessToken:
        await asyncio.to_thread(self._ensure_app)
        self._progress("started")
        try:
            if self._flow == "device_code":
                token = await self._device_code()
            else:
                token = await self._browser()
        except (AuthError, asyncio.CancelledError) as exc:
            self._progress("failed", error=str(exc) or "cancelled")
            raise
        self._progress("finished")
        return token

    async def _device_code(self) -> AccessToken:
        flow = await asyncio.to_thread(self._call, self._app.initiate_device_flow, [self._scope])
        if "user_code" not in flow:
            raise self._error(flow)
        prompt = DeviceCodePrompt(
            verification_uri=str(flow.get("verification_uri", "")),
            user_code=str(flow["user_code"]),
            expires_in=int(flow.get("expires_in", 900)),
            message=str(flow.get("message", "")),
        )
        if self._on_device_code is not None:
            self._on_device_code(prompt)
        self._progress("device_code", prompt=prompt)
        stop = self._stop = threading.Event()

        def poll() -> Any:
            return self._call(
                self._app.acquire_token_by_device_flow,
                flow,
                exit_condition=lambda f: stop.is_set() or f.get("expires_at", 0) < time.time(),
            )

        started = self._clock()
        try:
            result = await asyncio.shield(asyncio.to_thread(poll))
        except asyncio.CancelledError:
            stop.set()  # the polling thread ends within a second
            raise
        finally:
            self._stop = None
        if stop.is_set():
            raise SignInCancelled("The sign-in was cancelled", error="cancelled")
        return self._token(result, started)

    async def _browser(self) -> AccessToken:
        from aiohttp import web

        received = self._received = asyncio.get_running_loop().create_future()

        async def answer(request: web.Request) -> web.Response:
            fields = dict(await request.post()) if request.method == "POST" else {}
            values = {k: str(v) for k, v in {**request.query, **fields}.items()}
            if not received.done() and ("code" in values or "error" in values):
                received.set_result(values)
            ok = "code" in values
            page = _SIGNED_IN_PAGE.format(
                title="Signed in" if ok else "Sign-in failed",
                text="You can close this window and return to RelayDesk."
                if ok
                else "Return to RelayDesk for the reason.",
            )
            # Connection: close: the browser keeps no idle connection to a server
            # that stops in a moment (aiohttp closes an idle one it knows of, but
            # one that arrives as it stops is left to the garbage collector).
            return web.Response(
                text=page, content_type="text/html", headers={"Connection": "close"}
            )

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            flow = await asyncio.to_thread(
                self._call,
                self._app.initiate_auth_code_flow,
                [self._scope],
                redirect_uri=f"http://localhost:{port}",
                response_mode="form_post",
                prompt="select_account",
            )
            # Off the loop: webbrowser may wait for the browser command ($BROWSER) to
            # end, and this loop must keep serving the redirect meanwhile.
            opening = asyncio.ensure_future(
                asyncio.to_thread(self._open_browser, str(flow["auth_uri"]))
            )
            opening.add_done_callback(_retrieved)
            try:
                response = await asyncio.wait_for(received, self._sign_in_timeout)
            except TimeoutError:
                raise SignInCancelled(
                    "The browser sign-in did not finish in time", error="timeout"
                ) from None
        finally:
            self._received = None
            await runner.cleanup()
        started = self._clock()
        result = await asyncio.to_thread(
            self._call, self._app.acquire_token_by_auth_code_flow, flow, response
        )
        return self._token(result, started)

    # --- blocking parts: only through asyncio.to_thread --------------------------------

    def _ensure_app(self) -> None:
        if self._app is None:
            kwargs: dict[str, Any] = {}
            if self._custom_authority:
                kwargs["instance_discovery"] = False
            self._app = self._call(
                msal.PublicClientApplication,
                self._client_id,
                authority=self._authority,
                token_cache=self._cache.cache,
                http_client=self._http,
                **kwargs,
            )

    def _silent(self, force_refresh: bool) -> AccessToken | None:
        self._ensure_app()
        accounts = self._call(self._app.get_accounts)
        if not accounts:
            return None
        started = self._clock()
        result = self._call(
            self._app.acquire_token_silent_with_error,
            [self._scope],
            account=accounts[0],
            force_refresh=force_refresh,
        )
        if result is None:
            return None
        if "access_token" not in result:
            if result.get("error") in _INTERACTION:
                return None
            raise self._error(result)
        return self._token(result, started)

    def _call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except AuthError:
            raise
        except Exception as exc:  # noqa: BLE001 - msal raises ValueError, requests, …
            raise error_from_exception(exc, authority=self._authority, secret=None) from None

    def _error(self, result: Mapping[str, Any]) -> EntraError:
        base = error_from_result(result, http_status=self._http.last_status)
        kind = _SIGN_IN_ERRORS.get(base.aadsts_code or 0) or _SIGN_IN_ERRORS_BY_NAME.get(base.error)
        if kind is None:
            return base
        return kind(
            base.message,
            error=base.error,
            aadsts_code=base.aadsts_code,
            trace_id=base.trace_id,
            correlation_id=base.correlation_id,
            http_status=base.http_status,
        )

    def _token(self, result: Mapping[str, Any], started: float) -> AccessToken:
        if "access_token" not in result:
            raise self._error(result)
        value = str(result["access_token"])
        last = self._last
        if last is not None and last.value.reveal() == value:
            return last if result.get("token_source") != "cache" else _cached(last)
        claims = decode_jwt_claims(value)
        upn = claims.get("upn")
        token = AccessToken(
            value=Secret(value),
            expires_at=started + float(result.get("expires_in", 0)),
            kind="entra",
            identity=str(upn or self._client_id),
            from_cache=result.get("token_source") == "cache",
            claims=claims,
        )
        self._last = token
        return token


def _retrieved(future: asyncio.Future[object]) -> None:
    """The browser opener's outcome: the sign-in's own wait reports what matters."""
    if not future.cancelled():
        future.exception()


def _cached(token: AccessToken) -> AccessToken:
    from dataclasses import replace

    return replace(token, from_cache=True)


_SIGN_IN_ERRORS: dict[int, type[EntraError]] = {
    65001: ConsentRequired,
    50020: UserNotInTenant,
    50034: UserNotInTenant,
    50076: SignInRequired,
    50079: SignInRequired,
    50078: SignInRequired,
    53003: SignInRequired,
    70020: DeviceCodeExpired,
    50058: SignInCancelled,
}
_SIGN_IN_ERRORS_BY_NAME: dict[str, type[EntraError]] = {
    "expired_token": DeviceCodeExpired,
    "authorization_pending": DeviceCodeExpired,  # MSAL stopped polling: the code ran out
    "access_denied": SignInCancelled,
    "authorization_declined": SignInCancelled,
    "interaction_required": SignInRequired,
    "consent_required": ConsentRequired,
}
