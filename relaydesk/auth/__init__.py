"""Token providers: Entra ID (MSAL client credentials), SAS, anonymous.

Qt-free. Every provider implements :class:`~relaydesk.auth.provider.TokenProvider`
(``async get_token(*, min_valid_for=0, expires_after=None) -> AccessToken``
and ``describe()``); see :mod:`relaydesk.auth.provider` for the renewal
contract. Import names from their modules (``.entra_provider``,
``.sas_provider``, ``.anonymous``, ``.tokens``); this ``__init__`` imports
nothing, so that importing one of them never loads MSAL for the others.
"""
