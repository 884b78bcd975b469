"""One token provider per identity for the whole app session.

Why a pool: MSAL keeps its token cache in its application object, which
lives in the Entra provider (protocol §12 item 8). A provider rebuilt on
every profile activation (each Save, each switch back) would fetch a new
token every time, and each Entra provider holds an HTTP session and possibly
a combined CA bundle file that must be released. The pool hands out the same
provider for the same identity and secret (and, for SAS, the same address,
the tokens' audience) and closes them all when the app shuts down — not
earlier, because a session still running for a profile the user has left
may hold one. Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from relaydesk.auth.provider import TokenProvider
from relaydesk.profiles.model import Profile, Role
from relaydesk.proxy import ProxySettings
from relaydesk.secrets import Secret
from relaydesk.token_providers import provider_for

__all__ = ["ProviderFactory", "ProviderPool"]

#: Builds a provider for ``(profile, role, secret[, proxy=])``, like :func:`provider_for`.
ProviderFactory = Callable[..., TokenProvider]


class ProviderPool:
    """Hands out one provider per (identity, secret[, address]); closes them at the end.

    Args:
        factory: builds a provider the pool does not have yet.
    """

    def __init__(self, factory: ProviderFactory = provider_for) -> None:
        self._factory = factory
        self._providers: dict[Hashable, TokenProvider] = {}

    def __len__(self) -> int:
        return len(self._providers)

    def __repr__(self) -> str:
        return f"ProviderPool({len(self)} providers)"  # never the keys: they hold secrets

    def provider(
        self,
        profile: Profile,
        role: Role,
        secret: Secret | None,
        proxy: ProxySettings | None = None,
    ) -> TokenProvider:
        """The provider for ``role`` of ``profile``; the pooled one when it exists.

        ``proxy`` (the profile's mode with its password) is part of the pool
        key: a provider's HTTP session is bound to its proxy.

        Raises:
            InvalidField: from the factory (a missing secret, an anonymous listener).
        """
        identity = profile.identity(role)
        if identity.kind == "anonymous":
            return self._factory(profile, role, secret)  # holds nothing worth sharing
        audience = profile.address if identity.kind == "sas" else None
        # A person signing in has no secret: one provider (one sign-in) per identity.
        key = (identity, audience, secret if identity.secret_name else None, proxy)
        provider = self._providers.get(key)
        if provider is None:
            extra = {} if proxy is None else {"proxy": proxy}
            provider = self._factory(profile, role, secret, **extra)
            self._providers[key] = provider
        return provider

    def close(self) -> None:
        """Close every pooled provider that holds resources (HTTP sessions, files)."""
        providers, self._providers = list(self._providers.values()), {}
        for provider in providers:
            close = getattr(provider, "close", None)
            if callable(close):
                close()
