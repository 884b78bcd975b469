"""Token providers: Entra ID (MSAL client credentials), SAS, anonymous.

Qt-free. Every provider implements :class:`TokenProvider`
(``async get_token(*, min_valid_for=0, expires_after=None) -> AccessToken``
and ``describe()``); see :mod:`relaydesk.auth.provider` for the renewal
contract.
"""

from __future__ import annotations

from relaydesk.auth.anonymous import AnonymousTokenProvider
from relaydesk.auth.clouds import CLOUDS, DEFAULT_CLOUD, EntraCloud, get_cloud
from relaydesk.auth.entra_errors import AADSTS_REMEDIES
from relaydesk.auth.entra_provider import EntraTokenProvider
from relaydesk.auth.provider import TokenProvider, require_later_expiry
from relaydesk.auth.sas_provider import (
    DEFAULT_SAS_TTL,
    SasTokenProvider,
    StaticSasTokenProvider,
    sas_provider_from_connection_string,
)
from relaydesk.auth.tokens import AccessToken, TokenKind, decode_jwt_claims, decode_sas_claims

__all__ = [
    "AADSTS_REMEDIES",
    "CLOUDS",
    "DEFAULT_CLOUD",
    "DEFAULT_SAS_TTL",
    "AccessToken",
    "AnonymousTokenProvider",
    "EntraCloud",
    "EntraTokenProvider",
    "SasTokenProvider",
    "StaticSasTokenProvider",
    "TokenKind",
    "TokenProvider",
    "decode_jwt_claims",
    "decode_sas_claims",
    "get_cloud",
    "require_later_expiry",
    "sas_provider_from_connection_string",
]
