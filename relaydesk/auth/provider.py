"""The :class:`TokenProvider` protocol every credential kind implements.

Renewal contract (protocol §4.6). A listener renews its control-channel token
before expiry; the new token must expire *later* than the one in use, or the
``renewToken`` message achieves nothing. Two caches can hand back the same
token when asked too early: MSAL serves a cached token until 5 minutes before
its expiry (§12 item 8), and the SAS provider reuses its current token. So a
caller states what it needs:

* ``min_valid_for`` — the token must stay valid at least this many seconds.
  Providers bypass their caches to meet it. If the authority itself issues
  shorter-lived tokens, the freshest token is returned (the caller sees its
  ``expires_at``); only a fixed token that cannot be re-issued raises.
* ``expires_after`` — the token must expire strictly later than this instant
  (seconds since the epoch); pass the current token's ``expires_at`` when
  renewing. If the provider cannot produce such a token it raises
  :class:`~relaydesk.errors.TokenNotRenewable`, whose ``retry_after`` says
  when asking again may help (``None``: never).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from relaydesk.auth.tokens import AccessToken
from relaydesk.errors import TokenNotRenewable

__all__ = ["TokenProvider", "require_later_expiry"]


@runtime_checkable
class TokenProvider(Protocol):
    """Something that hands out access tokens for one identity."""

    async def get_token(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> AccessToken:
        """Return a token (see the module docstring for the two constraints).

        Raises:
            AuthError: the token could not be obtained (``EntraError``,
                ``AuthNetworkError``, ``TokenNotRenewable``).
        """
        ...

    def describe(self) -> str:
        """Who the tokens are for, for display (never a secret)."""
        ...


def require_later_expiry(
    token: AccessToken,
    expires_after: float | None,
    *,
    retry_after: float | None,
    what: str,
) -> AccessToken:
    """Return ``token`` if it expires after ``expires_after``, else raise.

    Args:
        token: the best token the provider could get.
        expires_after: the caller's bound, or ``None`` for no bound.
        retry_after: the ``retry_after`` hint for the error.
        what: the provider's description, for the message.

    Raises:
        TokenNotRenewable: the token does not extend the expiry.
    """
    if expires_after is None or token.expires_at > expires_after:
        return token
    raise TokenNotRenewable(
        f"{what}: no token expiring later than the current one is available yet",
        remedy="Keep the current token and ask again later.",
        expires_at=token.expires_at,
        retry_after=retry_after,
    )
