"""Build the token provider a profile's identity calls for.

The one pipeline from an identity to its tokens: the GUI calls it for a saved
profile, the CLI for the :class:`~relaydesk.profiles.model.Profile` it builds from
its options (or loads with ``--profile``).

It joins two packages of one layer, :mod:`relaydesk.profiles` (what an identity
is) and :mod:`relaydesk.auth` (how to get its tokens), so it sits above both,
beside :mod:`relaydesk.check`; neither of them imports the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relaydesk.auth.anonymous import AnonymousTokenProvider
from relaydesk.auth.provider import TokenProvider
from relaydesk.auth.sas_provider import DEFAULT_SAS_TTL, SasTokenProvider, StaticSasTokenProvider
from relaydesk.errors import InvalidField
from relaydesk.profiles.model import Profile, Role
from relaydesk.proxy import ProxySettings
from relaydesk.secrets import Secret

if TYPE_CHECKING:
    from relaydesk.auth.user_cache import UserTokenCache
    from relaydesk.auth.user_provider import DeviceCodePrompt, SignInFlow, SignInProgress

__all__ = ["SignInOptions", "provider_for"]


@dataclass(frozen=True)
class SignInOptions:
    """What a person's sign-in needs beyond the profile (``"user"`` identities).

    Attributes:
        cache: where the sign-in lives; ``None`` opens the identity's
            persisted one (:func:`relaydesk.auth.user_cache.open_user_cache`,
            slot = the profile's secret key of the role).
        on_device_code: shows the device code (called on the event loop).
        on_progress: follows an interactive sign-in (started, code, finished,
            failed), e.g. for a progress display with a Cancel button.
        open_browser: opens the browser sign-in URL (default: the system browser).
        interactive: ``False`` never asks the person (``SignInRequired`` instead).
        warn: told when the sign-in cannot be kept (no usable OS keyring).
    """

    cache: UserTokenCache | None = None
    on_device_code: Callable[[DeviceCodePrompt], None] | None = None
    on_progress: Callable[[SignInProgress], None] | None = None
    open_browser: Callable[[str], object] | None = None
    interactive: bool = True
    warn: Callable[[str], None] | None = None


def _user_provider(
    profile: Profile,
    role: Role,
    options: SignInOptions,
    proxy: ProxySettings,
    clock: Callable[[], float],
) -> TokenProvider:
    from relaydesk.auth.user_cache import open_user_cache
    from relaydesk.auth.user_provider import UserTokenProvider
    from relaydesk.profiles.store import default_config_dir  # platformdirs: sign-ins only

    identity = profile.identity(role)
    cache = options.cache or open_user_cache(default_config_dir(), profile.secret_key(role))
    if not cache.persistent and options.warn is not None:
        options.warn(f"the sign-in is kept {cache.where}; the next run asks again")
    flow: SignInFlow = "device_code" if identity.sign_in == "device_code" else "browser"
    return UserTokenProvider(
        identity.tenant_id,
        flow,
        cache,
        client_id=identity.client_id or None,
        cloud=identity.cloud,
        authority_host=identity.authority_host,
        ca_file=identity.ca_file,
        scope=identity.scope,
        on_device_code=options.on_device_code,
        on_progress=options.on_progress,
        open_browser=options.open_browser,
        interactive=options.interactive,
        proxy=proxy,
        clock=clock,
    )


def provider_for(
    profile: Profile,
    role: Role,
    secret: Secret | None,
    *,
    sas_ttl: float = DEFAULT_SAS_TTL,
    proxy: ProxySettings | None = None,
    clock: Callable[[], float] = time.time,
    sign_in: SignInOptions | None = None,
) -> TokenProvider:
    """Return the provider for ``role`` of ``profile``.

    Args:
        profile: a valid profile (see :func:`relaydesk.profiles.validation.validate`).
        role: ``"listener"`` or ``"sender"``.
        secret: the identity's client secret, SAS key or fixed signature
            (``ProfileStore.get_secret``); ignored for anonymous.
        sas_ttl: seconds each signed SAS token lives (``"sas"`` only).
        proxy: how the Entra authority is reached (``None``: the profile's
            proxy mode, without a proxy password).
        sign_in: how a ``"user"`` identity keeps and shows its sign-in
            (default: persisted in the OS keyring, no device-code display).

    Raises:
        InvalidField: the secret is missing (``field="<role>.secret"``), or
            an anonymous listener was asked for.
    """
    identity = profile.identity(role)
    if identity.kind == "user":
        proxy = proxy if proxy is not None else profile.proxy.settings()
        return _user_provider(profile, role, sign_in or SignInOptions(), proxy, clock)
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
