"""What may be shown about a token, never the token itself (§9, §10).

A plain value type shared downward: the token providers (:mod:`relaydesk.auth`)
describe the tokens they issue with it, the relay client puts it in its events
(:mod:`relaydesk.relay.events`), and the CLI and the GUI show it. It lives in the
protocol core so that neither of the two packages that make and carry it has to
import the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["TokenInfo"]


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never the token itself.

    Attributes:
        kind: ``"entra"``, ``"sas"`` or ``"anonymous"``.
        identity: who the token is for (client id, SAS rule name …).
        expires_at: expiry, seconds since the epoch (``None`` for anonymous).
        claims: decoded, untrusted claims for display (JWT: aud, iss, tid,
            appid/azp, oid, roles, iat, nbf, exp; SAS: sr, skn, se).
        from_cache: the provider served it from its cache (MSAL).
    """

    kind: str
    identity: str
    expires_at: float | None
    claims: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    from_cache: bool = False
