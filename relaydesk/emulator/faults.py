"""Fault controls: make the emulator misbehave the way the service can (§4.3, §13).

Each method is a product feature for demos and tests: drop control channels
without a close frame, recycle them with 1011 ``NameRenewalFailed``, expire
listener tokens now (1008), delay HTTP responses past the deadline (504),
change role assignments at runtime (403 on the next handshake), and make
signed-in users sign in again (refresh tokens dropped: interaction required).
"""

from __future__ import annotations

from relaydesk.emulator.context import RelayContext
from relaydesk.emulator.control import close_channel
from relaydesk.emulator.hub import ControlChannel
from relaydesk.emulator.user_signin import UserSignIn
from relaydesk.emulator.world import World
from relaydesk.emulator.wsclose import relayable_code
from relaydesk.errors import EmulatorError

__all__ = ["Faults"]

DEFAULT_RECYCLE_REASON = "NameRenewalFailed: the service recycled this listener; reconnect."


class Faults:
    """Fault controls of one running emulator.

    Args:
        ctx: the relay state.
        world: the world whose role assignments ``grant_role``/``revoke_role`` change.
        users: the user sign-in state ``require_sign_in_again`` clears.
    """

    def __init__(self, ctx: RelayContext, world: World, users: UserSignIn | None = None) -> None:
        self._ctx = ctx
        self._world = world
        self._users = users

    def _channels(self, entity: str | None) -> list[ControlChannel]:
        return self._ctx.hub.listeners(entity)

    async def drop_control_channels(self, entity: str | None = None) -> int:
        """Abort every control channel's TCP connection, no close frame (§13).

        Returns:
            How many channels were dropped.
        """
        channels = self._channels(entity)
        for channel in channels:
            self._ctx.logger.info(
                "fault: dropping control channel entity=%s id=%s",
                channel.entity,
                channel.listener_id,
            )
            transport = channel.request.transport
            if transport is not None:
                transport.abort()
        return len(channels)

    async def close_control_channels(
        self, code: int = 1011, reason: str = DEFAULT_RECYCLE_REASON, entity: str | None = None
    ) -> int:
        """Close every control channel with ``code`` (default: the 24 h recycle, §4.3).

        Raises:
            EmulatorError: ``code`` may not be sent in a close frame.
        """
        if relayable_code(code) != code:
            raise EmulatorError(f"close code {code} cannot be sent")
        channels = self._channels(entity)
        for channel in channels:
            await close_channel(self._ctx, channel, code, reason)
        return len(channels)

    async def expire_listener_tokens(self, entity: str | None = None) -> int:
        """Treat every listener's token as expired now: close with 1008 (§4.3)."""
        channels = self._channels(entity)
        for channel in channels:
            channel.expires_at = 0.0
            await close_channel(
                self._ctx, channel, 1008, "TokenExpired: the listener's token expired"
            )
        return len(channels)

    async def set_response_delay(self, seconds: float | None) -> None:
        """Hold every listener's HTTP response for ``seconds`` (None = off).

        The delay counts against the response deadline, so a delay above it
        makes senders get 504 as with a slow listener (§7.3).
        """
        if seconds is not None and not seconds >= 0:
            raise EmulatorError("the response delay must be a number of seconds >= 0")
        self._ctx.settings.response_delay = seconds or None
        self._ctx.logger.info("fault: response delay set to %s", seconds)

    async def revoke_role(self, identity: str, role: str, scope: str) -> None:
        """Remove a role assignment now; raises EmulatorError on bad input."""
        self._world.revoke_role(identity, role, scope)
        self._ctx.logger.info("fault: revoked role %r on %s from %s", role, scope, identity)

    async def grant_role(self, identity: str, role: str, scope: str) -> None:
        """Add a role assignment now; raises EmulatorError on bad input."""
        self._world.grant_role(identity, role, scope)
        self._ctx.logger.info("fault: granted role %r on %s to %s", role, scope, identity)

    async def require_sign_in_again(self) -> int:
        """Drop every user's refresh token: the next silent renewal needs the person.

        Returns:
            How many refresh tokens were dropped.
        """
        count = self._users.require_sign_in_again() if self._users is not None else 0
        self._ctx.logger.info("fault: %d user sign-ins must be repeated", count)
        return count
