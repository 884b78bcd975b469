"""The service half of a diagnosis: relay, authority, token, rights, listeners, gateways.

Each method is one step body: it returns a :class:`StepOutcome` or raises
(a typed :mod:`relaydesk.errors` error, or :class:`StepFailed` for a wrong
answer). :class:`ServiceProbe` owns the diagnosis' own listener between the
``authorized`` and ``gateway`` steps; :meth:`ServiceProbe.close` stops it.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp

from relaydesk.auth.entra_provider import EntraTokenProvider
from relaydesk.auth.provider import TokenProvider
from relaydesk.diagnose.model import GATEWAY_DOC, DiagnoseConfig, DiagnoseStatus
from relaydesk.diagnose.outcome import StepFailed, StepOutcome
from relaydesk.errors import HandshakeFailed, NoListener, ProxyError, RelayUnreachable
from relaydesk.relay.events import ErrorOccurred
from relaydesk.relay.http_proxy import HttpProxy
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.runtime_info import get_runtime_info
from relaydesk.relay.sender import connect
from relaydesk.relay.tasks import cancel_and_wait
from relaydesk.relay.tls import make_ssl_context
from relaydesk.relay.transport import WebSocketSettings, open_websocket
from relaydesk.remedies import remedy_for

__all__ = ["RELAY_AUDIENCES", "ServiceProbe"]

#: The audiences a relay token may carry (§10.1, §15.1).
RELAY_AUDIENCES = frozenset({"https://relay.azure.net", "https://relay.azure.net/"})
_HOST_PORT = re.compile(r"\b([A-Za-z0-9.\-]+:\d+)\b")


class ServiceProbe:
    """The steps that talk to the relay service and the Entra authority."""

    def __init__(self, config: DiagnoseConfig, clock: Callable[[], float]) -> None:
        self._config = config
        self._clock = clock
        self._ssl: ssl.SSLContext = make_ssl_context(config.ca_file)
        self._listener: Listener | None = None
        self._listener_errors: list[ErrorOccurred] = []
        self._watch: asyncio.Task[None] | None = None

    async def close(self) -> None:
        await cancel_and_wait(self._watch)
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await listener.stop()

    # --- 5. the relay itself ----------------------------------------------------------

    async def relay(self) -> StepOutcome:
        """An unauthenticated listen upgrade must meet the relay's own 401 (§4.2).

        ``listen`` rather than ``connect``: listeners always need a token, so
        the upgrade can never reach anyone's listener, even on a hybrid
        connection that lets anonymous senders in.
        """
        address = self._config.address
        url = address.listen_url(str(uuid.uuid4()))
        settings = WebSocketSettings(
            open_timeout=self._config.step_timeout, proxy=self._config.proxy
        )
        try:
            websocket = await open_websocket(url, ssl_context=self._ssl, settings=settings)
        except HandshakeFailed as exc:
            return self._relay_refusal(exc)
        await websocket.close()
        raise StepFailed(
            f"{address.namespace} opened a listener without a token: that is not Azure Relay",
            remedy="Check the namespace host; something other than the relay answers there.",
        )

    def _relay_refusal(self, exc: HandshakeFailed) -> StepOutcome:
        seen = {"status": exc.status, "tracking_id": exc.tracking_id}
        if not exc.tracking_id:
            raise StepFailed(
                f"HTTP {exc.status} without a TrackingId came back: not Azure Relay but a "
                "captive portal, a proxy's or firewall's page, or another server",
                remedy="Check the namespace host and port; sign in to the network's portal or "
                "ask the network team which device answers.",
                seen=seen,
            )
        if exc.status == 404:
            raise StepFailed(
                f"the relay knows no hybrid connection {self._config.address.entity_path!r}",
                remedy="Check the hybrid connection name (and the namespace).",
                seen=seen,
            )
        return StepOutcome(
            f"the relay answered {exc.status} with TrackingId {exc.tracking_id}, as it must "
            "without a token",
            seen,
        )

    # --- 6. the Entra authority ---------------------------------------------------------

    def _entra_providers(self) -> list[EntraTokenProvider]:
        found: list[EntraTokenProvider] = []
        for provider in (self._config.listener_tokens, self._config.sender_tokens):
            if isinstance(provider, EntraTokenProvider) and provider not in found:
                found.append(provider)
        return found

    async def authority(self) -> StepOutcome:
        providers = self._entra_providers()
        if not providers:
            return StepOutcome("no Entra identity (SAS or anonymous)", {}, DiagnoseStatus.SKIPPED)
        seen: dict[str, Any] = {}
        for authority in dict.fromkeys(p.authority for p in providers):
            url = f"{authority}/v2.0/.well-known/openid-configuration"
            document = await self._get_json(url)
            if "token_endpoint" not in document:
                raise StepFailed(
                    f"{url} answered without a token_endpoint: not an Entra authority",
                    remedy="Check the authority host (--authority-host) and the tenant id.",
                )
            seen[authority] = {
                "issuer": document.get("issuer"),
                "token_endpoint": document.get("token_endpoint"),
            }
        return StepOutcome(f"OpenID configuration of {', '.join(seen)} read", seen)

    async def _get_json(self, url: str) -> dict[str, Any]:
        via = HttpProxy.for_url(self._config.proxy, url)
        try:
            async with (
                aiohttp.ClientSession(
                    connector=via.connector(self._ssl),
                    timeout=aiohttp.ClientTimeout(total=self._config.step_timeout),
                ) as session,
                session.get(url, **via.kwargs()) as response,
            ):
                status = response.status
                body = await response.content.read(256 * 1024)
        except via.errors as exc:
            raise via.error(exc, url.split("/")[2]) from exc
        if status != 200:
            raise StepFailed(
                f"{url} answered HTTP {status}",
                remedy="Check the authority host and the tenant id (GUID or verified domain).",
            )
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise StepFailed(f"{url} did not answer JSON", remedy="Check the authority host.")
        return document

    # --- 7. tokens and their claims -------------------------------------------------------

    async def token(self) -> StepOutcome:
        seen: dict[str, Any] = {}
        warnings: list[str] = []
        roles: list[tuple[str, TokenProvider]] = [("listener", self._config.listener_tokens)]
        sender = self._config.sender_tokens
        if sender is not None and sender is not self._config.listener_tokens:
            roles.append(("sender", sender))
        for role, provider in roles:
            seen[role] = await self._check_token(provider, warnings)
        if warnings:
            return StepOutcome("; ".join(warnings), seen, DiagnoseStatus.WARNING)
        return StepOutcome(
            "; ".join(
                f"{role}: {facts['kind']} for {facts['identity']}" for role, facts in seen.items()
            ),
            seen,
        )

    async def _check_token(self, provider: TokenProvider, warnings: list[str]) -> dict[str, Any]:
        token = await provider.get_token()
        info = token.info()
        now = self._clock()
        claims = dict(info.claims)
        facts: dict[str, Any] = {"kind": info.kind, "identity": info.identity}
        if info.kind == "entra":
            facts.update({k: claims.get(k) for k in ("aud", "tid", "iat", "nbf", "exp")})
            # The clock first: a skewed clock also makes a good token look expired.
            self._check_skew(claims, token.from_cache, now, facts)
        if info.expires_at is not None and info.expires_at <= now:
            raise StepFailed(
                f"the {info.kind} token expired {round(now - info.expires_at)} s ago by this "
                "machine's clock",
                remedy="Check this machine's clock (time sync), then the token's lifetime.",
                seen=facts,
            )
        if info.kind != "entra":
            return facts
        if claims.get("aud") not in RELAY_AUDIENCES:
            raise StepFailed(
                f"the token is for {claims.get('aud')!r}, not for https://relay.azure.net",
                remedy="Use the scope https://relay.azure.net/.default for the identity.",
                seen=facts,
            )
        tenant = provider.tenant_id if isinstance(provider, EntraTokenProvider) else ""
        if _is_guid(tenant) and str(claims.get("tid", "")).lower() != tenant.lower():
            warnings.append(f"the token's tenant {claims.get('tid')} is not {tenant}")
        return facts

    def _check_skew(
        self, claims: dict[str, Any], from_cache: bool, now: float, facts: dict[str, Any]
    ) -> None:
        """A fresh token's ``iat`` is the authority's clock: compare ours (§10.4)."""
        issued = claims.get("iat")
        not_before = claims.get("nbf")
        if not from_cache and isinstance(issued, int | float):
            skew = now - float(issued)
            facts["clock_skew_s"] = round(skew, 1)
            if abs(skew) > self._config.max_clock_skew:
                direction = "ahead of" if skew > 0 else "behind"
                raise StepFailed(
                    f"this machine's clock is {abs(skew) / 60:.0f} min {direction} the "
                    "authority's (the token's iat)",
                    remedy="Synchronise this machine's clock (NTP): the relay rejects tokens "
                    "whose times look wrong.",
                    seen=facts,
                )
        if isinstance(not_before, int | float) and float(not_before) > now + 60:
            raise StepFailed(
                "the token is not valid yet by this machine's clock (nbf in the future)",
                remedy="Synchronise this machine's clock (NTP).",
                seen=facts,
            )

    # --- 8. who is listening ----------------------------------------------------------------

    async def listeners(self) -> StepOutcome:
        info = await get_runtime_info(
            self._config.address,
            self._config.listener_tokens,
            ssl_context=self._ssl,
            proxy=self._config.proxy,
            timeout=self._config.step_timeout,
        )
        seen = {
            "listener_count": info.listener_count,
            "requires_client_authorization": info.requires_client_authorization,
        }
        if info.listener_count == 0:
            raise StepFailed(
                'no listener is online: senders would be refused (404/502 "no listener")',
                remedy=remedy_for(NoListener(502), side="sender"),
                seen=seen,
            )
        plural = "s" if info.listener_count != 1 else ""
        return StepOutcome(f"{info.listener_count} listener{plural} online", seen)

    # --- 9. rights -----------------------------------------------------------------------------

    async def authorized(self) -> StepOutcome:
        listener = Listener(
            self._config.address,
            self._config.listener_tokens,
            ssl_context=self._ssl,
            options=ListenerOptions(
                auto_echo=True, open_timeout=self._config.step_timeout, proxy=self._config.proxy
            ),
        )
        await listener.start()
        self._listener = listener
        self._watch = asyncio.create_task(self._collect_errors(listener))
        if not self._config.try_sender:
            await self.close()
            return StepOutcome(
                f"listen allowed: a control channel opened as {listener.listener_id} and closed",
                {"listener_id": listener.listener_id},
            )
        return StepOutcome(
            f"listen allowed: a control channel is open as {listener.listener_id}",
            {"listener_id": listener.listener_id},
        )

    async def _collect_errors(self, listener: Listener) -> None:
        async for event in listener.events():
            if isinstance(event, ErrorOccurred):
                self._listener_errors.append(event)

    # --- 10. gateway hosts ----------------------------------------------------------------------

    async def gateway(self) -> StepOutcome:
        if not self._config.try_sender or self._listener is None:
            return StepOutcome(
                "not tried (pass --send: a sender connects to this diagnosis' own listener, "
                "through a rendezvous on a gateway host)",
                {},
                DiagnoseStatus.SKIPPED,
            )
        sender_tokens = self._config.sender_tokens or self._config.listener_tokens
        started = time.monotonic()
        try:
            connection = await connect(
                self._config.address,
                sender_tokens,
                allowed_listeners=[self._listener.listener_id],
                ssl_context=self._ssl,
                proxy=self._config.proxy,
                settings=WebSocketSettings(open_timeout=self._config.step_timeout),
            )
        except Exception as exc:
            raise self._gateway_failure(exc) from exc
        async with connection:
            await connection.send("relaydesk diagnose")
            await connection.receive()
        ms = round((time.monotonic() - started) * 1000, 1)
        return StepOutcome(
            f"send allowed; a rendezvous worked ({ms} ms round trip)", {"url": connection.url}
        )

    def _gateway_failure(self, exc: BaseException) -> BaseException:
        """A listener that could not reach its rendezvous host means a gateway problem."""
        unreachable = [e for e in self._listener_errors if e.error.kind in _UNREACHABLE_KINDS]
        if not unreachable:
            return exc
        cause = unreachable[-1].error.message
        match = _HOST_PORT.search(cause)
        host = match.group(1) if match else "the rendezvous host"
        return StepFailed(
            f"the namespace host {self._config.address.namespace} works but the rendezvous "
            f"host {host} does not ({cause})",
            remedy="Let the firewall (and the proxy) allow the relay's gateway hosts on port "
            f"443, not only the namespace host: see Microsoft's list at {GATEWAY_DOC}",
            seen={"rendezvous_host": host},
        )


_UNREACHABLE_KINDS = frozenset(
    {RelayUnreachable.__name__, ProxyError.__name__}
    | {cls.__name__ for cls in ProxyError.__subclasses__()}
)


def _is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
