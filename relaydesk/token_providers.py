"""Build the token provider a profile's identity calls for.

The one pipeline from an identity to its tokens: the GUI calls it for a saved
profile, the CLI for the :class:`~relaydesk.profiles.Profile` it builds from
its options (or loads with ``--profile``).

It joins two packages of one layer, :mod:`relaydesk.profiles` (what an identity
is) and :mod:`relaydesk.auth` (how to get its tokens), so it sits above both,
beside :mod:`relaydesk.check`; neither of them imports the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from relaydesk.auth.anonymous import AnonymousTokenProvider
from relaydesk.auth.provider import TokenProvider
from relaydesk.auth.sas_provider import DEFAULT_SAS_TTL, SasTokenProvider, StaticSasTokenProvider
from relaydesk.errors import InvalidField
from relaydesk.profiles import Profile, Role
from relaydesk.proxy import ProxySettings
from relaydesk.secrets import Secret

__all__ = ["provider_for"]


def provider_for(
    profile: Profile,
    role: Role,
    secret: Secret | None,
    *,
    sas_ttl: float = DEFAULT_SAS_TTL,
    proxy: ProxySettings | None = None,
    clock: Callable[[], float] = time.time,
) -> TokenProvider:
    """Return the provider for ``role`` of ``profile``.

    Args:
        profile: a valid profile (see :func:`relaydesk.profiles.validate`).
        role: ``"listener"`` or ``"sender"``.
        secret: the identity's client secret, SAS key or fixed signature
            (``ProfileStore.get_secret``); ignored for anonymous.
        sas_ttl: seconds each signed SAS token lives (``"sas"`` only).
        proxy: how the Entra authority is reached (``None``: the profile's
            proxy mode, without a proxy password).

    Raises:
        InvalidField: the secret is missing (``field="<role>.secret"``), or
            an anonymous listener was asked for.
    """
    identity = profile.identity(role)
    if identity.kind == "anonymous":
        if role == "listener":
            raise InvalidField("listener.kind", "a listener always needs a token")
        return AnonymousTokenProvider()
    if secret is None or not secret:
        raise InvalidField(f"{role}.secret", f"enter the {identity.secret_name} for this identity")
    if identity.kind == "sas":
        return SasTokenProvider(
            profile.parsed_address(), identity.sas_key_name, secret, ttl=sas_ttl, clock=clock
        )
    if identity.kind == "sas_signature":
        return StaticSasTokenProvider(secret, clock=clock)
    from relaydesk.auth.entra_provider import EntraTokenProvider  # msal: only when needed

    return EntraTokenProvider(
        identity.tenant_id,
        identity.client_id,
        secret,
        cloud=identity.cloud,
        authority_host=identity.authority_host,
        ca_file=identity.ca_file,
        scope=identity.scope,
        proxy=proxy if proxy is not None else profile.proxy.settings(),
        clock=clock,
    )
