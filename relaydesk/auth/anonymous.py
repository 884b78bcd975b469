"""The anonymous "provider": senders to hybrid connections without client auth.

A hybrid connection created with ``requiresClientAuthorization=false`` lets
senders connect without any token (protocol §6, §7.1); listeners always need
one (§4.1), so profiles refuse anonymous listeners. The relay client checks
:attr:`AccessToken.is_anonymous` and then sends no token at all.
"""

from __future__ import annotations

import math

from relaydesk.auth.tokens import AccessToken
from relaydesk.secrets import Secret

__all__ = ["AnonymousTokenProvider"]


class AnonymousTokenProvider:
    """Hands out the "no token" token, which never expires. Sender only."""

    kind = "anonymous"

    async def get_token(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> AccessToken:
        """Return the anonymous token; both constraints are always met."""
        return AccessToken(
            value=Secret(""),
            expires_at=math.inf,
            kind="anonymous",
            identity="anonymous",
            from_cache=False,
        )

    def describe(self) -> str:
        return "anonymous sender (no token)"

    def __repr__(self) -> str:
        return "AnonymousTokenProvider()"
