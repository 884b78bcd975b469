"""Azure clouds: where to get Entra tokens and which resource Relay tokens are for.

Protocol §10.1: the token resource for Azure Relay is ``https://relay.azure.net``
(Microsoft Learn, "Authenticate and authorize an application with Microsoft
Entra ID to access Azure Relay entities"). The 21Vianet (China) edition of the
same page names ``https://relay.chinacloudapi.cn``; Entra auth for Relay is
documented as not generally available there.

Azure Government: no separate Relay resource is documented (we searched the
Relay and Azure Government docs; Service Bus and Event Hubs likewise use their
public resource URIs in Government), so ``https://relay.azure.net`` is used with
the Government authority ``https://login.microsoftonline.us``. If a tenant
needs another value, the profile's ``scope`` field overrides it.
"""

from __future__ import annotations

from dataclasses import dataclass

from relaydesk.errors import InvalidField

__all__ = ["CLOUDS", "DEFAULT_CLOUD", "PUBLIC_CLIENT_ID", "EntraCloud", "get_cloud"]

#: The well-known public client people sign in with when a profile names no app
#: registration of its own: the Azure CLI's, which azure-identity also uses as
#: its default and which may request Azure Relay tokens for a signed-in user.
PUBLIC_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


@dataclass(frozen=True)
class EntraCloud:
    """One Azure cloud.

    Attributes:
        name: the short name used in profiles (``"public"``, ``"usgov"``, ``"china"``).
        title: display name.
        authority_host: ``https://`` host of the Entra token service, no trailing ``/``.
        resource: the Azure Relay token resource; the default scope is
            ``f"{resource}/.default"`` (§10.1: single slash, like azure-relay-bridge).
    """

    name: str
    title: str
    authority_host: str
    resource: str

    @property
    def default_scope(self) -> str:
        return f"{self.resource}/.default"


CLOUDS: dict[str, EntraCloud] = {
    "public": EntraCloud(
        "public", "Azure (global)", "https://login.microsoftonline.com", "https://relay.azure.net"
    ),
    "usgov": EntraCloud(
        "usgov", "Azure Government", "https://login.microsoftonline.us", "https://relay.azure.net"
    ),
    "china": EntraCloud(
        "china",
        "Azure operated by 21Vianet",
        "https://login.chinacloudapi.cn",
        "https://relay.chinacloudapi.cn",
    ),
}

DEFAULT_CLOUD = "public"


def get_cloud(name: str) -> EntraCloud:
    """Return the cloud called ``name``.

    Raises:
        InvalidField: ``field="cloud"`` for an unknown name.
    """
    try:
        return CLOUDS[name]
    except KeyError:
        known = ", ".join(sorted(CLOUDS))
        raise InvalidField("cloud", f"unknown cloud {name!r}; use one of {known}") from None
