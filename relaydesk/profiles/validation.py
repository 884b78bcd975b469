"""Profile validation: every problem at once, each naming its form field.

:func:`validate` returns every problem of a :class:`~relaydesk.profiles.model.Profile`
at once, each an :class:`InvalidField` whose ``field`` names the form field
(``"address"``, ``"listener.client_id"`` …), so a form can mark them all;
:func:`validate_or_raise` is the store's gate. Addresses are checked by the
§1 parser; Entra settings (tenant, client id, cloud, authority host) follow
§10.1/§12; SAS rule names follow §9.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import get_args
from urllib.parse import urlsplit

from relaydesk.errors import InvalidAddress, InvalidField
from relaydesk.profiles.model import SIGN_INS, IdentityConfig, IdentityKind, Profile, Role
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.clouds import CLOUDS

__all__ = ["check_name", "normalise_address", "validate", "validate_or_raise"]

_NAME_MAX = 100

_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$"
)
_KEY_NAME_RE = re.compile(r"^[A-Za-z0-9._\-]{1,256}$")
#: A fixed signature expires and cannot be renewed (§9.1), so a saved profile,
#: which outlives it, keeps the rule and its key instead; the CLI builds such
#: identities for one run from a connection string.
_NO_SAVED_SIGNATURE = (
    "a fixed SharedAccessSignature expires and cannot be renewed: save the SAS rule "
    "name and key instead"
)


def normalise_address(text: str) -> str:
    """Return ``sb://namespace/entity`` for any pasted address form (§1).

    Raises:
        InvalidField: ``field="address"``.
    """
    try:
        return HybridConnectionAddress.parse(text).sb_uri
    except InvalidAddress as exc:
        raise InvalidField("address", exc.reason) from None


def check_name(name: str) -> str | None:
    """Why ``name`` cannot be a profile name, or ``None`` when it can."""
    stripped = name.strip()
    if not stripped:
        return "the profile name is empty"
    if len(stripped) > _NAME_MAX:
        return f"the profile name is longer than {_NAME_MAX} characters"
    if any(unicodedata.category(ch).startswith("C") for ch in stripped):
        return "the profile name contains control characters"
    return None


def _check_tenant(value: str) -> str | None:
    value = value.strip()
    if not value:
        return "enter the tenant id (a GUID) or a verified domain such as contoso.onmicrosoft.com"
    if _GUID_RE.match(value) or _DOMAIN_RE.match(value):
        return None
    return "the tenant must be a GUID or a domain such as contoso.onmicrosoft.com"


def _check_guid(value: str, what: str) -> str | None:
    if _GUID_RE.match(value.strip()):
        return None
    return f"the {what} must be a GUID like 00000000-0000-0000-0000-000000000000"


def _check_authority(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme != "https" or not parts.hostname:
        return "the authority host must be an https:// URL, e.g. https://login.microsoftonline.com"
    if parts.path.strip("/") or parts.query or parts.fragment:
        return "give only the authority host (https://host[:port]); the tenant is added for you"
    return None


def _entra_problems(identity: IdentityConfig) -> Iterator[tuple[str, str | None]]:
    yield "tenant_id", _check_tenant(identity.tenant_id)
    yield "client_id", _check_guid(identity.client_id, "client id (Application ID)")
    yield from _authority_problems(identity)


def _user_problems(identity: IdentityConfig) -> Iterator[tuple[str, str | None]]:
    """A person signing in: the tenant may also be ``organizations`` (any work account)."""
    if identity.tenant_id.strip().lower() != "organizations":
        yield "tenant_id", _check_tenant(identity.tenant_id)
    if identity.client_id.strip():
        yield "client_id", _check_guid(identity.client_id, "client id (Application ID)")
    if identity.sign_in not in SIGN_INS:
        yield "sign_in", "choose how to sign in: browser or device_code"
    yield from _authority_problems(identity)


def _authority_problems(identity: IdentityConfig) -> Iterator[tuple[str, str | None]]:
    if identity.cloud not in CLOUDS:
        yield "cloud", f"unknown cloud {identity.cloud!r}; use one of {', '.join(sorted(CLOUDS))}"
    yield "authority_host", _check_authority(identity.authority_host)
    if identity.ca_file is not None and not Path(identity.ca_file).is_file():
        yield "ca_file", f"the CA file {identity.ca_file!r} does not exist"
    if identity.scope is not None and (not identity.scope.strip() or " " in identity.scope.strip()):
        yield "scope", "the scope must be one value such as https://relay.azure.net/.default"


def _identity_problems(identity: IdentityConfig, role: Role) -> list[InvalidField]:
    problems: list[tuple[str, str | None]] = []
    if identity.kind not in get_args(IdentityKind):
        problems.append(("kind", f"unknown identity kind {identity.kind!r}"))
    elif identity.kind == "entra":
        problems.extend(_entra_problems(identity))
    elif identity.kind == "user":
        problems.extend(_user_problems(identity))
    elif identity.kind == "sas" and not _KEY_NAME_RE.match(identity.sas_key_name.strip()):
        problems.append(("sas_key_name", "enter the SAS rule name, e.g. RootManageSharedAccessKey"))
    elif identity.kind == "sas_signature":
        problems.append(("kind", _NO_SAVED_SIGNATURE))
    elif identity.kind == "anonymous" and role == "listener":
        problems.append(("kind", "a listener always needs a token: use Entra ID or SAS"))
    return [InvalidField(f"{role}.{name}", reason) for name, reason in problems if reason]


def _proxy_problems(profile: Profile) -> list[InvalidField]:
    """The proxy mode and URL (:meth:`ProxyConfig.settings` checks both)."""
    proxy = profile.proxy
    if proxy.url and "@" in proxy.url:
        return [
            InvalidField(
                "proxy.url",
                "put the user name in its own field; the password belongs in the keyring",
            )
        ]
    try:
        proxy.settings()
    except InvalidField as exc:
        field = "proxy.url" if exc.field == "proxy" else exc.field
        return [InvalidField(field, exc.reason)]
    return []


def validate(profile: Profile) -> list[InvalidField]:
    """Return every problem of ``profile`` (empty when valid), in form order."""
    problems: list[InvalidField] = []
    reason = check_name(profile.name)
    if reason:
        problems.append(InvalidField("name", reason))
    try:
        HybridConnectionAddress.parse(profile.address)
    except InvalidAddress as exc:
        problems.append(InvalidField("address", exc.reason))
    problems.extend(_identity_problems(profile.listener, "listener"))
    if not profile.sender_same_as_listener:
        problems.extend(_identity_problems(profile.sender, "sender"))
    problems.extend(_proxy_problems(profile))
    return problems


def validate_or_raise(profile: Profile) -> Profile:
    """Return the normalised profile, or raise the first problem.

    Raises:
        InvalidField: the first of :func:`validate`'s problems.
    """
    problems = validate(profile)
    if problems:
        raise problems[0]
    return profile.normalised()
