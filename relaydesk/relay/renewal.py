"""Keep a control channel's token fresh with ``renewToken`` (§4.6).

The service closes a control channel with 1008 "at or soon after" its
token expires (§4.3, §4.6), so the listener sends a fresh token before
that. The .NET SDK renews in effect *at* expiry (§4.6, §14 item 13); we
renew when at most ``min(5 min, half the lifetime)`` remains (configurable),
and insist that the new token really extends the expiry: a provider that
hands back the same cached token is asked again, sooner and sooner, but
never after the old token has expired.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

from relaydesk.errors import AuthError, TokenNotRenewable
from relaydesk.relay.events import ErrorOccurred, Event, TokenRenewed
from relaydesk.relay.failures import error_info
from relaydesk.relay.tokens import AccessTokenLike, TokenProviderLike

__all__ = ["DEFAULT_MAX_LEAD", "MIN_INTERVAL", "TokenRenewer", "renewal_delay", "renewal_lead"]

_log = logging.getLogger(__name__)

#: Renew at the latest this many seconds before expiry (§4.6 [EMU]: ≥ 5 min early).
DEFAULT_MAX_LEAD = 300.0

#: Shortest time between two renewals (unless expiry is nearer).
MIN_INTERVAL = 1.0

#: Shortest wait between two attempts to get an extended token.
_MIN_RETRY = 0.05
_MAX_RETRY = 30.0


def renewal_lead(lifetime: float, renew_before: float | None = None) -> float:
    """Seconds before expiry at which to renew.

    Args:
        lifetime: the token's lifetime as seen by the client (expiry minus
            the time it was obtained).
        renew_before: a fixed lead; ``None`` means ``min(5 min, lifetime/2)``.
    """
    if renew_before is not None:
        return max(0.0, renew_before)
    return max(0.0, min(DEFAULT_MAX_LEAD, lifetime / 2))


def renewal_delay(
    *, expires_at: float, obtained_at: float, now: float, renew_before: float | None = None
) -> float:
    """Seconds from ``now`` until the token obtained at ``obtained_at`` is renewed."""
    lead = renewal_lead(expires_at - obtained_at, renew_before)
    return max(0.0, expires_at - lead - now)


def _finite(expires_at: float) -> float | None:
    """``None`` for a token that never expires (anonymous: ``math.inf``)."""
    return None if math.isinf(expires_at) else expires_at


def _extends(token: AccessTokenLike, current_expiry: float) -> bool:
    """Whether ``token`` expires later than ``current_expiry``."""
    return token.expires_at > current_expiry


class TokenRenewer:
    """Renews one control channel's token until cancelled.

    Args:
        provider: where fresh tokens come from.
        send_renewal: sends ``{"renewToken":{"token":…}}`` on the channel
            (under the channel's send lock).
        emit: publishes :class:`TokenRenewed` / :class:`ErrorOccurred`.
        renew_before: fixed lead in seconds, or ``None`` (see :func:`renewal_lead`).
        clock: wall clock (token expiries are wall-clock times).
    """

    def __init__(
        self,
        provider: TokenProviderLike,
        *,
        send_renewal: Callable[[str], Awaitable[None]],
        emit: Callable[[Event], None],
        renew_before: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._provider = provider
        self._send = send_renewal
        self._emit = emit
        self._renew_before = renew_before
        self._clock = clock
        self.renewals = 0
        """Number of ``renewToken`` messages sent."""
        self.expires_at: float | None = None
        """Expiry of the channel's current token (``None`` = never)."""

    async def run(self, token: AccessTokenLike, obtained_at: float) -> None:
        """Renew ``token`` (obtained at ``obtained_at``) and its successors forever.

        Returns when a token never expires, or when no extended token could
        be had before expiry (the service will then close with 1008 and the
        listener reconnects with a fresh token).
        """
        self.expires_at = _finite(token.expires_at)
        while self.expires_at is not None:
            now = self._clock()
            delay = renewal_delay(
                expires_at=self.expires_at,
                obtained_at=obtained_at,
                now=now,
                renew_before=self._renew_before,
            )
            # A lead longer than the tokens' lifetime would renew in a tight
            # loop: keep renewals at least MIN_INTERVAL apart (or halfway to
            # expiry, if that is sooner).
            await asyncio.sleep(max(delay, min(MIN_INTERVAL, (self.expires_at - now) / 2)))
            fresh = await self._extended_token(self.expires_at)
            if fresh is None:
                return
            await self._send(fresh.value.reveal())
            obtained_at = self._clock()
            self.expires_at = _finite(fresh.expires_at)
            self.renewals += 1
            self._emit(
                TokenRenewed(
                    at=obtained_at, side="listener", token=fresh.info(), renewals=self.renewals
                )
            )

    async def _extended_token(self, current_expiry: float) -> AccessTokenLike | None:
        """Get a token that expires after ``current_expiry``; ``None`` if too late."""
        wait = 0.5
        while True:
            remaining = current_expiry - self._clock()
            if remaining <= 0:
                _log.warning("token expired before a renewal could be obtained")
                return None
            fresh, hint = await self._ask(remaining, current_expiry)
            if fresh is not None and _extends(fresh, current_expiry):
                return fresh
            if isinstance(hint, TokenNotRenewable) and hint.retry_after is None:
                return None  # a fixed token: nothing to renew with
            remaining = current_expiry - self._clock()
            step = wait
            if isinstance(hint, TokenNotRenewable) and hint.retry_after is not None:
                step = hint.retry_after
            await asyncio.sleep(max(_MIN_RETRY, min(step, remaining / 2)))
            wait = min(wait * 2, _MAX_RETRY)

    async def _ask(
        self, remaining: float, current_expiry: float
    ) -> tuple[AccessTokenLike | None, AuthError | None]:
        """Ask for a token expiring after ``current_expiry``; report failures.

        :class:`TokenNotRenewable` is expected (a cache that cannot do better
        yet) and only logged; other auth failures become ErrorOccurred events.
        """
        try:
            token = await self._provider.get_token(
                min_valid_for=remaining + 1.0, expires_after=current_expiry
            )
        except TokenNotRenewable as exc:
            _log.info("no extended token yet: %s", exc)
            return None, exc
        except AuthError as exc:
            self._emit(
                ErrorOccurred(
                    at=self._clock(), side="listener", error=error_info(exc, side="listener")
                )
            )
            return None, exc
        return token, None
