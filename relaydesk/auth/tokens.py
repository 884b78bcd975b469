"""Access tokens and their display-safe claims.

An :class:`AccessToken` is what every token provider returns: the raw token
wrapped in a :class:`~relaydesk.secrets.Secret`, its expiry, and claims
decoded **without verification** (untrusted, for display only: the relay
verifies tokens, the client never needs to). ``repr`` never shows the value;
:meth:`AccessToken.info` gives the :class:`~relaydesk.relay.events.TokenInfo`
events carry.

The raw value goes on the wire as-is: a SAS string
(``SharedAccessSignature sr=…``, protocol §9.2) or a bare JWT without a
``Bearer`` prefix (§10.2), in the ``ServiceBusAuthorization`` header, the
``sb-hc-token`` query parameter or a ``renewToken`` message (§3, §4.6).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal

from relaydesk.errors import InvalidTokenFormat
from relaydesk.protocol.sas import parse_sas_token
from relaydesk.protocol.text import NOT_TEXT, is_text
from relaydesk.protocol.token_info import TokenInfo
from relaydesk.secrets import Secret

__all__ = [
    "JWT_DISPLAY_CLAIMS",
    "AccessToken",
    "TokenKind",
    "decode_jwt_claims",
    "decode_sas_claims",
]

TokenKind = Literal["entra", "sas", "anonymous"]

#: The JWT claims worth showing (protocol §10.4); everything else is dropped so
#: that opaque values (``uti``, ``aio``, ``rh``) never reach the UI or logs.
JWT_DISPLAY_CLAIMS = (
    "aud",
    "iss",
    "tid",
    "appid",
    "azp",
    "oid",
    "sub",
    "upn",
    "scp",
    "roles",
    "ver",
    "idtyp",
    "iat",
    "nbf",
    "exp",
)

_EMPTY: Mapping[str, object] = MappingProxyType({})


def _freeze(value: object) -> object:
    """Make a decoded claim value immutable (lists → tuples)."""
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    if isinstance(value, dict):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    return value


def decode_jwt_claims(token: str) -> Mapping[str, object]:
    """Decode a JWT's display claims **without** checking its signature.

    Untrusted on purpose: the client only shows aud/iss/tid/appid/azp/oid/
    roles/iat/nbf/exp (§10.4); the relay is the one that validates.

    Raises:
        InvalidTokenFormat: the text is not a JWT (``field="token"``; the
            reason never quotes the token).
    """
    # PyJWT loads cryptography (~25 ms); only Entra tokens need it, so a SAS
    # command (`relaydesk send` with a key) never pays for it.
    import jwt

    if not isinstance(token, str) or not is_text(token):
        raise InvalidTokenFormat("token", f"the access token {NOT_TEXT}")
    try:
        payload = jwt.decode(
            token,
            options={"verify_signature": False, "verify_exp": False, "verify_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidTokenFormat(
            "token", f"the access token is not a JWT ({type(exc).__name__})"
        ) from None
    if not isinstance(payload, dict):
        raise InvalidTokenFormat("token", "the JWT payload is not a JSON object")
    return MappingProxyType(
        {name: _freeze(payload[name]) for name in JWT_DISPLAY_CLAIMS if name in payload}
    )


def decode_sas_claims(token: str) -> Mapping[str, object]:
    """Return ``sr`` (decoded resource URI), ``skn`` and ``se`` of a SAS token (§9.2).

    Raises:
        InvalidTokenFormat: the text is not a SAS token.
    """
    parsed = parse_sas_token(token)
    return MappingProxyType(
        {"sr": parsed.resource_uri, "skn": parsed.key_name, "se": parsed.expires_at}
    )


def _format_expiry(expires_at: float) -> str:
    if math.isinf(expires_at):
        return "never"
    try:
        return datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{expires_at:.0f}"


@dataclass(frozen=True, repr=False)
class AccessToken:
    """A token as issued, plus what may be shown about it.

    Attributes:
        value: the raw token (SAS string or JWT); ``Secret("")`` for anonymous.
        expires_at: expiry, seconds since the epoch; ``math.inf`` for
            anonymous (never expires).
        kind: ``"entra"``, ``"sas"`` or ``"anonymous"``.
        identity: who the token is for: the Entra client id, the SAS rule
            name, or ``"anonymous"``.
        from_cache: the provider returned a token it already had (MSAL cache
            hit, or the SAS provider's current token) rather than a new one.
        claims: decoded, untrusted claims for display (:func:`decode_jwt_claims`,
            :func:`decode_sas_claims`); read-only.
    """

    value: Secret
    expires_at: float
    kind: TokenKind
    identity: str
    from_cache: bool = False
    claims: Mapping[str, object] = field(default_factory=lambda: _EMPTY)

    @property
    def is_anonymous(self) -> bool:
        """True when no token should be sent at all (anonymous sender)."""
        return self.kind == "anonymous"

    def remaining(self, now: float) -> float:
        """Seconds of validity left at ``now`` (negative once expired)."""
        return self.expires_at - now

    def valid_for(self, seconds: float, now: float) -> bool:
        """True when the token is still valid ``seconds`` after ``now``."""
        return self.expires_at - now >= seconds

    def info(self) -> TokenInfo:
        """The display-safe description events carry (never the value)."""
        return TokenInfo(
            kind=self.kind,
            identity=self.identity,
            expires_at=None if math.isinf(self.expires_at) else self.expires_at,
            claims=self.claims,
            from_cache=self.from_cache,
        )

    def __repr__(self) -> str:
        return (
            f"AccessToken(kind={self.kind!r}, identity={self.identity!r}, "
            f"expires_at={_format_expiry(self.expires_at)!r}, from_cache={self.from_cache})"
        )

    __str__ = __repr__
