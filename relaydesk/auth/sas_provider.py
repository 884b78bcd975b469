"""SAS token providers: sign tokens from a rule's key, or serve a fixed signature.

:class:`SasTokenProvider` signs ``SharedAccessSignature`` tokens (protocol
§9.2, §9.3) for the hybrid connection's
:meth:`~relaydesk.protocol.address.HybridConnectionAddress.sas_resource_uri`
(``http://host/entity``, what the Node SDK and Microsoft's Python sample
sign). It keeps the current token and signs a new one when the current one
has less than ``max(min_valid_for, refresh margin)`` left.

:class:`StaticSasTokenProvider` serves a ready-made signature from a
connection string's ``SharedAccessSignature=`` (§9.1). It **cannot renew**:
once that signature is near expiry, :class:`TokenNotRenewable` says so.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from relaydesk.auth.provider import require_later_expiry
from relaydesk.auth.tokens import AccessToken, decode_sas_claims
from relaydesk.errors import InvalidField, TokenNotRenewable
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.sas import build_sas_token, parse_sas_token
from relaydesk.secrets import Secret

if TYPE_CHECKING:
    from relaydesk.protocol.connection_string import ConnectionString

__all__ = [
    "DEFAULT_SAS_TTL",
    "SasTokenProvider",
    "StaticSasTokenProvider",
    "sas_provider_from_connection_string",
]

#: Lifetime of a signed token: 60 minutes, like the .NET SDK's
#: ``DefaultTokenTimeout`` (§4.6).
DEFAULT_SAS_TTL = 3600.0

#: Sign a new token when the current one has less than this left (capped at
#: half the TTL), mirroring MSAL's 5-minute rule so both kinds behave alike.
DEFAULT_REFRESH_MARGIN = 300.0

Clock = Callable[[], float]


def _as_secret(value: Secret | str | None) -> Secret | None:
    if value is None or isinstance(value, Secret):
        return value
    return Secret(value)


class SasTokenProvider:
    """Signs SAS tokens with a shared access rule's key (§9.3).

    Args:
        address: the hybrid connection; tokens are signed for its
            ``sas_resource_uri()`` unless ``resource_uri`` is given (e.g. the
            namespace root ``http://host/`` for a namespace-wide token).
        key_name: the rule name (``skn``), e.g. ``RootManageSharedAccessKey``.
        key: the rule's key, used as UTF-8 text, exactly as the portal shows it.
        ttl: lifetime of each signed token, seconds (default 60 minutes).
        refresh_margin: sign anew when less than this is left (≤ ttl / 2).
        clock: wall clock, seconds since the epoch (a fake in tests).

    Raises:
        InvalidField: empty key name or key, or a non-positive TTL.
    """

    kind = "sas"

    def __init__(
        self,
        address: HybridConnectionAddress,
        key_name: str,
        key: Secret,
        *,
        ttl: float = DEFAULT_SAS_TTL,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        resource_uri: str | None = None,
        clock: Clock = time.time,
    ) -> None:
        if not key_name.strip():
            raise InvalidField("sas_key_name", "the SAS key name (rule name) is empty")
        if not key:
            raise InvalidField("sas_key", "the SAS key is empty")
        if not ttl > 0:
            raise InvalidField("ttl", "the token lifetime must be a positive number of seconds")
        self._address = address
        self._key_name = key_name.strip()
        self._key = key
        self._ttl = float(ttl)
        self._margin = min(max(refresh_margin, 0.0), self._ttl / 2)
        self._resource_uri = resource_uri or address.sas_resource_uri()
        self._clock = clock
        self._current: AccessToken | None = None

    @classmethod
    def from_connection_string(
        cls,
        connection_string: ConnectionString,
        address: HybridConnectionAddress | None = None,
        *,
        ttl: float = DEFAULT_SAS_TTL,
        clock: Clock = time.time,
    ) -> SasTokenProvider:
        """Build a signing provider from ``Endpoint=…;SharedAccessKeyName=…;SharedAccessKey=…``.

        Raises:
            InvalidField: the connection string has no key name/key (use
                :func:`sas_provider_from_connection_string` to accept a fixed
                ``SharedAccessSignature`` too).
        """
        key = _as_secret(connection_string.key)
        if not connection_string.key_name or key is None:
            raise InvalidField(
                "connection_string",
                "the connection string has no SharedAccessKeyName/SharedAccessKey",
            )
        target = address or connection_string.address()
        return cls(target, connection_string.key_name, key, ttl=ttl, clock=clock)

    @property
    def key_name(self) -> str:
        return self._key_name

    @property
    def resource_uri(self) -> str:
        return self._resource_uri

    async def get_token(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> AccessToken:
        """Return the current token, or sign a new one when it is too short-lived.

        A signing provider can always satisfy both constraints: the new token
        lives ``max(ttl, min_valid_for + margin)`` and expires after
        ``expires_after``.
        """
        now = self._clock()
        current = self._current
        need = max(min_valid_for, self._margin)
        if (
            current is not None
            and current.valid_for(need, now)
            and (expires_after is None or current.expires_at > expires_after)
        ):
            return current
        lifetime = max(self._ttl, min_valid_for + self._margin)
        expires_at = math.ceil(now + lifetime)
        if expires_after is not None and expires_at <= expires_after:
            expires_at = math.floor(expires_after) + 1
        token = self._sign(expires_at)
        # Kept as it will be served next time: from the cache.
        self._current = dataclasses.replace(token, from_cache=True)
        return token

    def _sign(self, expires_at: int) -> AccessToken:
        text = build_sas_token(
            self._resource_uri, self._key_name, self._key.reveal(), expires_at=expires_at
        )
        return AccessToken(
            value=Secret(text),
            expires_at=float(expires_at),
            kind="sas",
            identity=self._key_name,
            from_cache=False,
            claims=decode_sas_claims(text),
        )

    def describe(self) -> str:
        return f"SAS rule '{self._key_name}' for {self._resource_uri}"

    def __repr__(self) -> str:
        return (
            f"SasTokenProvider(key_name={self._key_name!r}, "
            f"resource_uri={self._resource_uri!r}, ttl={self._ttl:g})"
        )


class StaticSasTokenProvider:
    """Serves one fixed ``SharedAccessSignature`` (from a connection string, §9.1).

    It cannot renew: without the key no new token can be signed. When the
    signature has expired, or cannot meet ``min_valid_for``/``expires_after``,
    :class:`TokenNotRenewable` (``retry_after=None``) says so.

    Raises:
        InvalidTokenFormat: the signature does not parse (§9.2).
    """

    kind = "sas"

    def __init__(self, signature: Secret, *, clock: Clock = time.time) -> None:
        claims = decode_sas_claims(signature.reveal())
        parsed = parse_sas_token(signature.reveal())
        self._clock = clock
        self._token = AccessToken(
            value=signature,
            expires_at=float(parsed.expires_at),
            kind="sas",
            identity=parsed.key_name,
            from_cache=True,
            claims=claims,
        )

    @property
    def expires_at(self) -> float:
        return self._token.expires_at

    async def get_token(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> AccessToken:
        """Return the fixed token if it meets the constraints.

        Raises:
            TokenNotRenewable: expired, or too close to expiry for the caller.
        """
        token = self._token
        remaining = token.remaining(self._clock())
        if remaining <= 0 or remaining < min_valid_for:
            state = "has expired" if remaining <= 0 else "expires too soon"
            raise TokenNotRenewable(
                f"The connection string holds a fixed SharedAccessSignature that {state} "
                "and cannot be renewed",
                remedy=(
                    "Use a connection string with SharedAccessKeyName and "
                    "SharedAccessKey, or paste a freshly generated signature."
                ),
                expires_at=token.expires_at,
                retry_after=None,
            )
        return require_later_expiry(
            token, expires_after, retry_after=None, what="fixed SharedAccessSignature"
        )

    def describe(self) -> str:
        return f"fixed SAS signature of rule '{self._token.identity}' (cannot be renewed)"

    def __repr__(self) -> str:
        return f"StaticSasTokenProvider(key_name={self._token.identity!r})"


def sas_provider_from_connection_string(
    connection_string: ConnectionString,
    address: HybridConnectionAddress | None = None,
    *,
    ttl: float = DEFAULT_SAS_TTL,
    clock: Clock = time.time,
) -> SasTokenProvider | StaticSasTokenProvider:
    """Pick the provider a connection string calls for (§9.1).

    ``SharedAccessKeyName`` + ``SharedAccessKey`` → a signing
    :class:`SasTokenProvider`; ``SharedAccessSignature`` → a
    :class:`StaticSasTokenProvider`, which cannot renew.
    """
    signature = _as_secret(connection_string.shared_access_signature)
    if signature is not None and signature.reveal():
        return StaticSasTokenProvider(signature, clock=clock)
    return SasTokenProvider.from_connection_string(connection_string, address, ttl=ttl, clock=clock)
