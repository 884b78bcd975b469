"""The one place that knows the relay client's concrete classes.

It turns a :class:`~relaydesk.profiles.model.Profile` plus the identities' secrets
into the openers the bridges use: a :class:`~relaydesk.relay.listener.Listener`
whose accept policy, HTTP answers and echo read the bridge's current
:class:`~relaydesk.gui.bridges.policies.ListenerPolicy` per sender and
request; a WebSocket sender (``relay.sender.connect``); and HTTP requests
(``relay.http_sender.http_request``). Imported once a profile is chosen;
the relay client itself (websockets, aiohttp) is imported only when a
listener starts, a sender connects or a request is made, so a window that
merely shows a profile keeps them out of its memory.

The relay's TLS trust is the system CAs plus the identity's ``ca_file``
(the emulator's CA in demo mode): the profile has no separate relay CA.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relaydesk.auth.provider import TokenProvider
from relaydesk.errors import ConnectionClosed, Forbidden, SignInRequired, Unauthorized
from relaydesk.gui.bridges.backends import (
    HttpRequester,
    HttpRequestSpec,
    ListenerOpener,
    SenderOpener,
    SenderOptions,
)
from relaydesk.gui.bridges.policies import PolicySource
from relaydesk.gui.bridges.provider_pool import ProviderFactory
from relaydesk.gui.bridges.system_proxy import resolve_for_gui
from relaydesk.profiles.model import Profile
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.wire_names import ALLOWED_LISTENERS_HEADER
from relaydesk.proxy import ProxySettings
from relaydesk.relay.event_queue import EventQueue
from relaydesk.relay.events import Event, HttpResponseReceived
from relaydesk.relay.policies import AcceptDecision, HttpReply
from relaydesk.relay.tasks import cancel_and_wait
from relaydesk.relay.tls import make_ssl_context
from relaydesk.secrets import Secret
from relaydesk.token_providers import provider_for

if TYPE_CHECKING:  # the relay client: imported where a session starts (websockets, aiohttp)
    from relaydesk.gui.bridges.forward_switch import ForwardSwitch
    from relaydesk.protocol.messages import AcceptCommand
    from relaydesk.protocol.runtime_info import RuntimeInfo
    from relaydesk.relay.accepting import ConnectionHandler
    from relaydesk.relay.connection import ListenerConnection
    from relaydesk.relay.listener import Listener
    from relaydesk.relay.policies import AcceptPolicy, HttpHandler, HttpRequest
    from relaydesk.relay.sender import SenderConnection

__all__ = ["CoreBackend", "CoreListenerSession", "CoreSenderSession", "build_backend"]

#: Seconds the listener waits for close handshakes when stopped. Below the
#: core's default (2 s) so that quitting mid-transfer, when the peer's close
#: frame sits behind a backlog of data, still finishes in about 2 s in all.
CLOSE_TIMEOUT = 1.0


class CoreListenerSession:
    """Adapt :class:`Listener` to the bridge's ``ListenerSession`` protocol."""

    def __init__(self, listener: Listener, forwards: ForwardSwitch | None = None) -> None:
        self.listener = listener
        self._forwards = forwards

    @property
    def listener_id(self) -> str:
        """The listener's ``sb-hc-id`` (§2), which senders may pin to (§4.7)."""
        return self.listener.listener_id

    def events(self) -> AsyncIterator[Event]:
        """The listener's event stream (ends after stop)."""
        return self.listener.events()

    async def start(self) -> None:
        """Open the control channel (§4.1); raises the first failure."""
        await self.listener.start()

    async def stop(self) -> None:
        """Close the control channel and every connection with 1000 (§4.3)."""
        await self.listener.stop()
        if self._forwards is not None:
            await self._forwards.close()

    def _connection(self, connection_id: str) -> ListenerConnection:
        connection = self.listener.connections.get(connection_id)
        if connection is None:
            raise ConnectionClosed(1000, "that connection has already ended")
        return connection

    async def send(self, connection_id: str, data: str | bytes) -> None:
        """Send on one accepted rendezvous connection (§5.2)."""
        await self._connection(connection_id).send(data)

    async def close_connection(self, connection_id: str) -> None:
        """Close one accepted connection with 1000."""
        await self._connection(connection_id).close()


class CoreSenderSession:
    """Adapt ``relay.sender.connect`` to the bridge's ``SenderSession`` protocol.

    ``connect()`` publishes into this session's queue from its first step, so
    the token badge shows the token — claims included — even when the relay
    then refuses it (a 403 is best explained next to the token's ``roles``),
    and a failed connect still streams CONNECTING, the token, the error and
    OFFLINE before the stream ends.
    """

    def __init__(self, backend: CoreBackend, options: SenderOptions) -> None:
        self._backend = backend
        self._options = options
        self._queue = EventQueue("sender")
        self._connection: SenderConnection | None = None
        self._reader: asyncio.Task[None] | None = None

    def events(self) -> AsyncIterator[Event]:
        """CONNECTING, the token, then the connection's events until it ends."""
        return self._queue.stream()

    async def start(self) -> None:
        """Connect (§6), pinned to a listener if asked (§4.7); read in a task."""
        from relaydesk.relay.sender import connect

        backend = self._backend
        pinned = self._options.pinned_listener
        try:
            self._connection = await connect(
                backend.address,
                backend.sender_provider,
                ssl_context=backend.ssl_context,
                proxy=backend.proxy,
                allowed_listeners=[pinned] if pinned else None,
                events=self._queue,
            )
        except BaseException:
            self._queue.close()  # connect closes it on relay errors; end it on any other
            raise
        self._reader = asyncio.create_task(self._connection.pump(), name="sender-reader")

    async def stop(self) -> None:
        """Close with 1000 and stop reading."""
        if self._connection is None:
            self._queue.close()  # stopped before connect() finished: end the stream
        else:
            await self._connection.close()
        await cancel_and_wait(self._reader)

    async def send(self, data: str | bytes) -> None:
        """Send one message to the listener."""
        if self._connection is None:
            raise ConnectionClosed(1006, "the sender is not connected")
        await self._connection.send(data)


@dataclass
class CoreBackend:
    """Everything needed to open listeners, senders and HTTP requests for a profile."""

    profile: Profile
    address: HybridConnectionAddress
    listener_provider: TokenProvider
    sender_provider: TokenProvider
    ssl_context: ssl.SSLContext
    ca_file: str | None = None
    proxy: ProxySettings | None = None

    def listener_opener(self) -> ListenerOpener:
        """Return the opener the :class:`ListenerBridge` calls on Start."""

        def open_listener(policy: PolicySource) -> CoreListenerSession:
            from relaydesk.gui.bridges.forward_switch import ForwardSwitch
            from relaydesk.relay.listener import Listener
            from relaydesk.relay.options import ListenerOptions

            forwards = ForwardSwitch(policy, entity_path=self.address.entity_path)
            listener = Listener(
                self.address,
                self.listener_provider,
                policy=_accept_policy(policy, forwards),
                http_handler=_http_handler(policy, forwards),
                connection_handler=_connection_handler(policy, forwards),
                ssl_context=self.ssl_context,
                options=ListenerOptions(close_timeout=CLOSE_TIMEOUT, proxy=self.proxy),
            )
            return CoreListenerSession(listener, forwards)

        return open_listener

    def sender_opener(self) -> SenderOpener:
        """Return the opener the :class:`SenderBridge` calls on Connect."""

        def open_sender(options: SenderOptions) -> CoreSenderSession:
            return CoreSenderSession(self, options)

        return open_sender

    def http_requester(self) -> HttpRequester:
        """Return the coroutine function the HTTP tab's Send uses."""

        async def request(spec: HttpRequestSpec, options: SenderOptions) -> HttpResponseReceived:
            from relaydesk.relay.http_sender import http_request

            headers = dict(spec.headers)
            if options.pinned_listener:
                headers[ALLOWED_LISTENERS_HEADER] = options.pinned_listener
            response = await http_request(
                self.address,
                self.sender_provider,
                spec.method,
                path_suffix=spec.suffix,
                query=spec.query,
                headers=headers,
                body=spec.body or None,
                ssl_context=self.ssl_context,
                proxy=self.proxy,
            )
            return response.event()

        return request

    def runtime_info_fetcher(self) -> Callable[[], Awaitable[RuntimeInfo]]:
        """Return what the sender pane's listener count calls (§11).

        Asks with the sender's token, and with the listener's when the sender's
        is refused (an anonymous sender has none; any right on the entity will do).
        """

        sender = _SilentTokens(self.sender_provider)
        listener = _SilentTokens(self.listener_provider)

        async def fetch() -> RuntimeInfo:
            from relaydesk.relay.runtime_info import get_runtime_info

            try:
                return await get_runtime_info(
                    self.address, sender, ssl_context=self.ssl_context, proxy=self.proxy
                )
            except (Unauthorized, Forbidden, SignInRequired):
                if self.listener_provider is self.sender_provider:
                    raise
                return await get_runtime_info(
                    self.address, listener, ssl_context=self.ssl_context, proxy=self.proxy
                )

        return fetch

    def diagnose_config(self) -> Any:
        """Return the :class:`relaydesk.diagnose.DiagnoseConfig` for this profile.

        No sender is tried from the GUI's Diagnose: it could disturb a listener.
        """
        from relaydesk.diagnose.model import DiagnoseConfig

        return DiagnoseConfig(
            address=self.address,
            listener_tokens=self.listener_provider,
            sender_tokens=self.sender_provider,
            ca_file=Path(self.ca_file) if self.ca_file else None,
            proxy=self.proxy,
        )

    def check_config(self) -> Any:
        """Return the :class:`relaydesk.check.CheckConfig` for this profile."""
        from relaydesk.check import CheckConfig

        return CheckConfig(
            address=self.address,
            listener_tokens=self.listener_provider,
            sender_tokens=self.sender_provider,
            ca_file=Path(self.ca_file) if self.ca_file else None,
            proxy=self.proxy,
        )


def build_backend(
    profile: Profile,
    listener_secret: Secret | None,
    sender_secret: Secret | None,
    providers: ProviderFactory = provider_for,
    proxy_password: Secret | None = None,
) -> CoreBackend:
    """Build providers and TLS trust for ``profile``.

    Args:
        providers: where providers come from (the app passes its
            :class:`~relaydesk.gui.bridges.provider_pool.ProviderPool`).

    Raises:
        InvalidField: a secret is missing or a field is unusable.
        InvalidAddress: the address does not parse.
    """
    listener = profile.identity("listener")
    ca_file = listener.ca_file or profile.identity("sender").ca_file
    address = profile.parsed_address()
    relay_url = f"https://{address.host}:{address.port or 443}/"
    proxy = resolve_for_gui(profile.proxy.settings(proxy_password), relay_url)
    return CoreBackend(
        profile=profile,
        address=address,
        listener_provider=providers(profile, "listener", listener_secret, proxy=proxy),
        sender_provider=providers(profile, "sender", sender_secret, proxy=proxy),
        ssl_context=make_ssl_context(ca_file),
        ca_file=ca_file,
        proxy=proxy,
    )


def _accept_policy(policy: PolicySource, forwards: ForwardSwitch) -> AcceptPolicy:
    async def decide(command: AcceptCommand) -> AcceptDecision:
        """Reject with the pane's status and reason (§5.3), or accept — once the
        local WebSocket is open when forwarding."""
        choice = policy().accept
        if not choice.accept:
            return AcceptDecision.reject(choice.status, choice.reason)
        forwarder = forwards.current()
        if forwarder is not None:
            return await forwarder.accept_policy(command)
        return AcceptDecision.allow()

    return decide


def _http_handler(policy: PolicySource, forwards: ForwardSwitch) -> HttpHandler:
    async def handle(request: HttpRequest) -> HttpReply:
        """Forward, echo the body, or answer with the pane's fixed response (§7.3)."""
        forwarder = forwards.current()
        if forwarder is not None:
            return await forwarder(request)
        settings = policy().http
        if settings.echo:
            content_type = {k: v for k, v in request.headers.items() if k.lower() == "content-type"}
            return HttpReply(status=200, headers=content_type, body=request.body)
        return HttpReply(status=settings.status, headers=settings.headers, body=settings.body)

    return handle


def _connection_handler(policy: PolicySource, forwards: ForwardSwitch) -> ConnectionHandler:
    async def serve(connection: ListenerConnection) -> None:
        """Bridge to the local WebSocket opened at accept, or read every message
        (events for the log) and echo while auto-echo is on."""
        forwarder = forwards.owner_of(connection.id)
        if forwarder is not None:
            await forwarder.connection_handler(connection)
            return
        async for data in connection:
            if policy().auto_echo:
                with contextlib.suppress(ConnectionClosed):
                    await connection.send(data)

    return serve


class _SilentTokens:
    """A provider's tokens for background work: never a sign-in prompt of its own.

    The listener count polls while the sender pane is visible; for a person's
    identity that is not signed in yet it must not open a browser or show a
    device code (which would hide the one the user is acting on). Providers
    without a silent mode (apps, SAS) never prompt anyway.
    """

    def __init__(self, provider: Any) -> None:
        self._provider = provider

    async def get_token(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> Any:
        silently = getattr(self._provider, "get_token_silently", None)
        get = silently if silently is not None else self._provider.get_token
        return await get(min_valid_for=min_valid_for, expires_after=expires_after)
