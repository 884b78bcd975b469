"""The profile model: a hybrid connection plus its listener and sender identities.

A :class:`Profile` never holds a secret or a token (product principle 6): the
client secret / SAS key of each identity lives in a
:class:`~relaydesk.secrets.SecretStore` under :func:`~relaydesk.secrets.secret_key`
``(profile name, role)``. Profiles are frozen values; their JSON form
(:func:`profile_to_json`, :func:`profile_from_json`) is what the store writes
and what an export shares. The address is a §1 hybrid connection address.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, cast

from relaydesk.errors import InvalidField, ProfileError
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.clouds import DEFAULT_CLOUD
from relaydesk.secrets import Secret, secret_key

if TYPE_CHECKING:
    from relaydesk.proxy import ProxySettings

__all__ = [
    "PROXY_SECRET_SLOT",
    "ROLES",
    "SIGN_INS",
    "IdentityConfig",
    "IdentityKind",
    "Profile",
    "ProxyConfig",
    "Role",
    "SignIn",
    "profile_from_json",
    "profile_to_json",
]

IdentityKind = Literal["entra", "user", "sas", "sas_signature", "anonymous"]
SignIn = Literal["browser", "device_code"]
SIGN_INS: tuple[SignIn, ...] = ("browser", "device_code")
Role = Literal["listener", "sender"]
ROLES: tuple[Role, ...] = ("listener", "sender")
_SECRET_NAMES = {
    "entra": "client secret",
    "sas": "SAS key",
    "sas_signature": "SharedAccessSignature",
}
_FORMAT = "relaydesk.profile"
_VERSION = 1


@dataclass(frozen=True)
class IdentityConfig:
    """Who a listener or sender is, without the secret.

    Attributes:
        kind: ``"entra"`` (an app: client credentials), ``"user"`` (a person
            signing in, :attr:`sign_in`), ``"sas"`` (a rule and its key,
            signing fresh tokens, §9.3), ``"sas_signature"`` (a fixed
            ``SharedAccessSignature`` from a connection string, §9.1: the
            secret is the signature, which cannot be renewed) or
            ``"anonymous"`` (senders only).
        tenant_id, client_id, cloud, authority_host, ca_file, scope: Entra
            settings; ``authority_host``/``scope`` ``None`` use the cloud's
            defaults; ``ca_file`` is an extra CA to trust (emulator, proxy).
        sas_key_name: the SAS rule name (``skn``).
        sign_in: how a ``"user"`` signs in: ``"browser"`` (auth code + PKCE)
            or ``"device_code"``; ``client_id`` empty means the well-known
            public client.
    """

    kind: IdentityKind = "entra"
    tenant_id: str = ""
    client_id: str = ""
    cloud: str = DEFAULT_CLOUD
    authority_host: str | None = None
    ca_file: str | None = None
    scope: str | None = None
    sas_key_name: str = ""
    sign_in: str = "browser"

    @property
    def secret_name(self) -> str | None:
        """What this identity's secret is called, or ``None`` when it needs none."""
        return _SECRET_NAMES.get(self.kind)

    def describe(self) -> str:
        """A one-line summary for the UI (no secret)."""
        if self.kind == "entra":
            return f"Entra app {self.client_id or '?'}"
        if self.kind == "sas":
            return f"SAS rule '{self.sas_key_name or '?'}'"
        if self.kind == "sas_signature":
            return "fixed SharedAccessSignature"
        if self.kind == "user":
            how = "device code" if self.sign_in == "device_code" else "browser"
            return f"user sign-in ({how})"
        return "anonymous"


#: The :class:`SecretStore` slot (``secret_key(profile, slot)``) of the proxy password.
PROXY_SECRET_SLOT = "proxy"


@dataclass(frozen=True)
class ProxyConfig:
    """How this profile's connections go out (see :mod:`relaydesk.proxy`). Never a secret.

    Attributes:
        mode: ``"system"`` (environment / OS settings), ``"explicit"`` or ``"none"``.
        url: the explicit proxy, ``http://host:port`` or ``socks5://host:port``
            (without credentials).
        username: the Basic user name; its password lives in the secret store
            under :data:`PROXY_SECRET_SLOT`.
    """

    mode: str = "system"
    url: str | None = None
    username: str | None = None

    def settings(self, password: Secret | None = None) -> ProxySettings:
        """The runtime :class:`~relaydesk.proxy.ProxySettings`, with the password.

        Raises:
            InvalidField: ``proxy``: an unknown mode or an unusable URL.
        """
        from relaydesk.proxy import PROXY_MODES, ProxySettings

        if self.mode not in PROXY_MODES:
            raise InvalidField("proxy.mode", f"unknown proxy mode {self.mode!r}")
        if self.mode == "explicit":
            return ProxySettings.explicit(
                self.url or "", username=self.username or None, password=password
            )
        return ProxySettings(self.mode, None, self.username or None, password)


@dataclass(frozen=True)
class Profile:
    """A named hybrid connection and its two identities. Never a secret.

    Attributes:
        name: the display name, also the key of its secrets.
        address: the hybrid connection address text (normalised to
            ``sb://namespace/entity`` by :meth:`normalised`).
        listener: the listener's identity.
        sender: the sender's identity (ignored when ``sender_same_as_listener``).
        sender_same_as_listener: the sender uses the listener's identity and secret.
        forward_to: local base URL the listener forwards requests to
            (:mod:`relaydesk.relay.forwarding`); empty = it answers itself.
        forward_ca_file: a PEM file of CAs trusted for an https/wss local app,
            besides the system's; empty = the system's only.
        forward_insecure: accept any certificate of the local app (a
            development server's self-signed one); never the relay's.
        proxy: the proxy mode of every connection of this profile.
    """

    name: str
    address: str
    listener: IdentityConfig = field(default_factory=IdentityConfig)
    sender: IdentityConfig = field(default_factory=IdentityConfig)
    sender_same_as_listener: bool = False
    forward_to: str = ""
    forward_ca_file: str = ""
    forward_insecure: bool = False
    proxy: ProxyConfig = field(default_factory=ProxyConfig)

    def identity(self, role: Role) -> IdentityConfig:
        """The identity actually used for ``role``."""
        if role == "sender" and not self.sender_same_as_listener:
            return self.sender
        return self.listener

    def secret_role(self, role: Role) -> Role:
        """The role whose store entry holds ``role``'s secret."""
        return "listener" if self.sender_same_as_listener else role

    def secret_key(self, role: Role) -> str:
        """The :class:`SecretStore` key of ``role``'s secret."""
        return secret_key(self.name, self.secret_role(role))

    def parsed_address(self) -> HybridConnectionAddress:
        """Raises: InvalidAddress."""
        return HybridConnectionAddress.parse(self.address)

    def normalised(self) -> Profile:
        """The same profile with a trimmed name and a canonical address.

        Raises:
            InvalidAddress: the address does not parse.
        """
        return replace(self, name=self.name.strip(), address=self.parsed_address().sb_uri)


# --- JSON ------------------------------------------------------------------------------


def profile_to_json(profile: Profile) -> str:
    """Serialise a profile (it holds no secret; exports are safe to share)."""
    document = {"format": _FORMAT, "version": _VERSION, **asdict(profile)}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _identity_from(data: object, where: str) -> IdentityConfig:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} is not an object")
    known = {f for f in IdentityConfig.__dataclass_fields__}
    values = {k: v for k, v in data.items() if k in known}
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{where}.{name} is not text")
    return IdentityConfig(**cast(dict[str, Any], values))


def _proxy_from(data: object) -> ProxyConfig:
    if not isinstance(data, Mapping):
        raise ValueError("proxy is not an object")
    known = {f for f in ProxyConfig.__dataclass_fields__}
    values = {k: v for k, v in data.items() if k in known}
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"proxy.{name} is not text")
    return ProxyConfig(**cast(dict[str, Any], values))


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} is not true/false")
    return value


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} is not text")
    return value


def profile_from_json(text: str, *, source: str = "profile") -> Profile:
    """Parse :func:`profile_to_json` output. Fields are checked for type only.

    Raises:
        ProfileError: naming ``source`` when the text is not a profile.
    """
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError("it is not a RelayDesk profile")
        if not isinstance(data.get("name"), str) or not isinstance(data.get("address"), str):
            raise ValueError("the name or address is missing")
        return Profile(
            name=data["name"],
            address=data["address"],
            listener=_identity_from(data.get("listener", {}), "listener"),
            sender=_identity_from(data.get("sender", {}), "sender"),
            sender_same_as_listener=_flag(
                data.get("sender_same_as_listener", False), "sender_same_as_listener"
            ),
            forward_to=_text(data.get("forward_to", ""), "forward_to"),
            forward_ca_file=_text(data.get("forward_ca_file", ""), "forward_ca_file"),
            forward_insecure=_flag(data.get("forward_insecure", False), "forward_insecure"),
            proxy=_proxy_from(data.get("proxy", {})),
        )
    except (ValueError, TypeError) as exc:
        raise ProfileError(f"{source} is not a valid profile: {exc}") from None
