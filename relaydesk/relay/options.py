"""Tunable listener settings, with the protocol's defaults (§4.5, §4.6, §7, §11)."""

from __future__ import annotations

from dataclasses import dataclass

from relaydesk.proxy import ProxySettings
from relaydesk.relay.event_queue import DEFAULT_CAPACITY
from relaydesk.relay.retry import (
    AUTH_FAILURE_DELAYS,
    RECONNECT_DELAYS,
    STABLE_AFTER,
    ReconnectPolicy,
)
from relaydesk.relay.transport import WebSocketSettings

__all__ = ["ListenerOptions"]


@dataclass(frozen=True)
class ListenerOptions:
    """How a :class:`~relaydesk.relay.listener.Listener` behaves.

    Attributes:
        listener_id: the ``sb-hc-id`` GUID (§2, §11); ``None`` = a random
            GUID per listener, kept across reconnects.
        keepalive_interval: seconds between WebSocket pings on the control
            channel and rendezvous sockets (§4.5: idle sockets die at ~4 min).
        keepalive_timeout: seconds to wait for a pong before the channel is
            treated as dropped (§4.5 [EMU]).
        open_timeout: seconds to open the control channel.
        accept_timeout: seconds to open a rendezvous (§5.2, .NET: 20 s).
        renew_before: renew the token this many seconds before it expires;
            ``None`` = ``min(5 min, lifetime / 2)`` (§4.6).
        reconnect_delays: reconnect schedule (§11: 0, 1, 2, 5, 10, 30 s).
        auth_failure_delays: schedule from the 2nd consecutive 401/403 on.
        reconnect_jitter: relative jitter of each delay.
        stable_after: seconds a control channel must stay open for its
            drop to restart the schedule at 0 s; consecutive shorter-lived
            channels (flaps) back off (:mod:`relaydesk.relay.retry`).
        retry_first_open: if False (the default, as .NET's ``OpenAsync``,
            §11), :meth:`Listener.start` raises the first failure and the
            listener stays OFFLINE; if True, start() returns and the
            listener keeps retrying (except on 404), reporting each failure
            as events.
        auto_echo: echo every WebSocket message back to its sender.
        http_timeout: seconds the HTTP handler may take; the service gives
            up at 60 s (§7.3), so the default answers 503 a little before.
        max_message_size: largest WebSocket message accepted, bytes.
        event_capacity: size of the bounded event queue.
        close_timeout: seconds to wait for close handshakes on stop.
        proxy: how the control channel and every rendezvous reach the relay
            (:mod:`relaydesk.proxy`); ``None`` = system mode.
    """

    listener_id: str | None = None
    keepalive_interval: float | None = 210.0
    keepalive_timeout: float | None = 30.0
    open_timeout: float = 30.0
    accept_timeout: float = 20.0
    renew_before: float | None = None
    reconnect_delays: tuple[float, ...] = RECONNECT_DELAYS
    auth_failure_delays: tuple[float, ...] = AUTH_FAILURE_DELAYS
    reconnect_jitter: float = 0.1
    stable_after: float = STABLE_AFTER
    retry_first_open: bool = False
    auto_echo: bool = False
    http_timeout: float = 55.0
    max_message_size: int | None = 64 * 1024 * 1024
    event_capacity: int = DEFAULT_CAPACITY
    close_timeout: float = 2.0
    proxy: ProxySettings | None = None

    def reconnect_policy(self) -> ReconnectPolicy:
        """A fresh reconnect policy with these schedules (§11)."""
        return ReconnectPolicy(
            delays=self.reconnect_delays,
            auth_delays=self.auth_failure_delays,
            jitter=self.reconnect_jitter,
            stable_after=self.stable_after,
        )

    def control_settings(self) -> WebSocketSettings:
        """WebSocket settings for the control channel (§4.1, §4.5)."""
        return WebSocketSettings(
            open_timeout=self.open_timeout,
            ping_interval=self.keepalive_interval,
            ping_timeout=self.keepalive_timeout,
            close_timeout=self.close_timeout,
            max_size=self.max_message_size,
            proxy=self.proxy,
        )

    def rendezvous_settings(self) -> WebSocketSettings:
        """WebSocket settings for rendezvous sockets (§5.2, §7.4)."""
        return WebSocketSettings(
            open_timeout=self.accept_timeout,
            ping_interval=self.keepalive_interval,
            ping_timeout=self.keepalive_timeout,
            close_timeout=self.close_timeout,
            max_size=self.max_message_size,
            proxy=self.proxy,
        )
