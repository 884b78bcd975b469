"""What the relay client needs from a token provider (structural types).

``relaydesk.auth`` implements these (SAS, Entra, anonymous); the relay
client depends only on the shape, so tests and tools can pass any object
that fits. A token's value is only ever read with ``reveal()`` at the moment
it goes into the ``ServiceBusAuthorization`` header (§3) or a
``renewToken`` (§4.6).
"""

from __future__ import annotations

from typing import Protocol

from relaydesk.relay.common_events import TokenInfo

__all__ = ["AccessTokenLike", "SecretLike", "TokenProviderLike"]


class SecretLike(Protocol):
    """A secret string with a redacted ``repr``."""

    def reveal(self) -> str:
        """Return the secret text."""
        ...


class AccessTokenLike(Protocol):
    """A token: secret value, expiry (epoch seconds, ``math.inf`` = never), info.

    An empty value means anonymous: no ``ServiceBusAuthorization`` header.
    """

    @property
    def value(self) -> SecretLike: ...

    @property
    def expires_at(self) -> float: ...

    def info(self) -> TokenInfo:
        """Display-safe description (no token text)."""
        ...


class TokenProviderLike(Protocol):
    """Gives tokens (``relaydesk.auth.provider.TokenProvider`` fits).

    ``min_valid_for``: valid at least that many seconds; ``expires_after``:
    expiring strictly later than that instant, else
    :class:`~relaydesk.errors.TokenNotRenewable` (§4.6).
    """

    async def get_token(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> AccessTokenLike:
        """Return a token meeting both constraints."""
        ...
