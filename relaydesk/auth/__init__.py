"""Token providers: Entra ID (MSAL client credentials), SAS, anonymous.

Qt-free. Every provider implements :class:`TokenProvider`
(``async get_token(*, min_valid_for=0, expires_after=None) -> AccessToken``
and ``describe()``); see :mod:`relaydesk.auth.provider` for the renewal
contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relaydesk.lazy_exports import lazy_getattr

# Names are loaded on first use (relaydesk.lazy_exports): importing one light
# module of this package must not pull in the network and auth stacks.
_EXPORTS: dict[str, str] = {
    "AADSTS_REMEDIES": "relaydesk.auth.entra_errors",
    "AccessToken": "relaydesk.auth.tokens",
    "AnonymousTokenProvider": "relaydesk.auth.anonymous",
    "DEFAULT_SAS_TTL": "relaydesk.auth.sas_provider",
    "EntraTokenProvider": "relaydesk.auth.entra_provider",
    "SasTokenProvider": "relaydesk.auth.sas_provider",
    "StaticSasTokenProvider": "relaydesk.auth.sas_provider",
    "TokenKind": "relaydesk.auth.tokens",
    "TokenProvider": "relaydesk.auth.provider",
    "decode_jwt_claims": "relaydesk.auth.tokens",
    "decode_sas_claims": "relaydesk.auth.tokens",
    "require_later_expiry": "relaydesk.auth.provider",
    "sas_provider_from_connection_string": "relaydesk.auth.sas_provider",
}

if TYPE_CHECKING:
    from relaydesk.auth.anonymous import AnonymousTokenProvider
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


__getattr__ = lazy_getattr(globals(), _EXPORTS)

__all__ = [
    "AADSTS_REMEDIES",
    "DEFAULT_SAS_TTL",
    "AccessToken",
    "AnonymousTokenProvider",
    "EntraTokenProvider",
    "SasTokenProvider",
    "StaticSasTokenProvider",
    "TokenKind",
    "TokenProvider",
    "decode_jwt_claims",
    "decode_sas_claims",
    "require_later_expiry",
    "sas_provider_from_connection_string",
]
