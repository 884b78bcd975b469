"""Resolve the address, identities and secrets a CLI command needs.

Secrets come from an environment variable, standard input or the OS keyring
(through a profile), never from a plain argument (product principle 6). The
one exception is ``--connection-string CS``: accepted because the portal hands
out connection strings, but when the string holds a key or signature the
command warns on stderr that it shows in the process list and the shell
history, and points to ``--connection-string-env`` / ``--connection-string -``.

Identities are the desktop app's own: each role gets a
:class:`relaydesk.profiles.model.IdentityConfig` (from the options, the connection
string or ``--profile``) paired with its secret in a :class:`Credential`, and
:func:`make_provider` hands the :class:`~relaydesk.profiles.model.Profile` they form
to :func:`relaydesk.token_providers.provider_for`, the one factory the GUI
uses too (imported lazily: msal is heavy).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from relaydesk.cli.proxy_options import proxy_from_args
from relaydesk.errors import InvalidInput
from relaydesk.profiles.model import IdentityConfig, Profile, Role
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.text import is_text

if TYPE_CHECKING:
    from relaydesk.auth.provider import TokenProvider
    from relaydesk.auth.user_provider import DeviceCodePrompt
    from relaydesk.protocol.connection_string import ConnectionString
    from relaydesk.proxy import ProxySettings
    from relaydesk.secrets import Secret

__all__ = [
    "MAX_TOKEN_LIFETIME",
    "MIN_TOKEN_LIFETIME",
    "Credential",
    "Role",
    "SecretReader",
    "Target",
    "make_provider",
    "resolve_target",
    "split_authority",
]

_NO_IDENTITY = (
    "no credentials given: use --profile NAME, --connection-string-env VAR, "
    "--client-id C --tenant-id T --client-secret-env VAR, or --sas-key-name N --sas-key-env VAR"
)
_CS_WARNING = (
    "the connection string on the command line holds a key, which shows in the process "
    "list and the shell history; prefer --connection-string-env VAR or --connection-string -"
)


@dataclass(frozen=True)
class Credential:
    """One role's identity (a profile identity, never a secret) and its secret.

    Attributes:
        identity: who the role is, as a saved profile would say it.
        secret: the client secret, SAS key or fixed signature; ``None`` for
            anonymous.
    """

    identity: IdentityConfig
    secret: Secret | None = None

    def describe(self) -> str:
        return self.identity.describe()


#: Bounds of ``--token-lifetime``: SAS expiry is whole seconds (§9.2), and a
#: year is far beyond any lifetime the service or the SDKs use (60 min).
MIN_TOKEN_LIFETIME = 1.0
MAX_TOKEN_LIFETIME = 365 * 24 * 3600.0


@dataclass(frozen=True)
class Target:
    """Everything a command needs to reach the relay.

    Attributes:
        address: the hybrid connection.
        listener, sender: the credential of each side (``None`` when the
            command does not need that side); the same object when the
            sender uses the main identity, so both share one provider.
        ca_file: an extra CA to trust (the emulator's).
        token_lifetime: seconds each signed SAS token lives (``None``: the
            provider's default, 60 minutes).
        name: the profile name (``--profile``) or ``"command line"``.
        proxy: how every connection goes out (``None`` = system mode).
        on_device_code, open_browser, warn: how a person signing in sees
            the device code, the sign-in page, or that the sign-in cannot be
            kept (the CLI's output).
    """

    address: HybridConnectionAddress
    listener: Credential | None
    sender: Credential | None
    ca_file: Path | None = None
    token_lifetime: float | None = None
    name: str = "command line"
    proxy: ProxySettings | None = None
    on_device_code: Callable[[DeviceCodePrompt], None] | None = field(default=None, repr=False)
    open_browser: Callable[[str], object] | None = field(default=None, repr=False)
    warn: Callable[[str], None] | None = field(default=None, repr=False)

    def credential(self, role: Role) -> Credential:
        """The credential for ``role``; raises :class:`InvalidInput` when missing."""
        credential = self.listener if role == "listener" else self.sender
        if credential is None:
            raise InvalidInput("credentials", _NO_IDENTITY)
        return credential

    def identity(self, role: Role) -> IdentityConfig:
        """The profile identity for ``role``; raises :class:`InvalidInput` when missing."""
        return self.credential(role).identity

    def profile(self) -> Profile:
        """The :class:`Profile` these credentials form (a role without one: anonymous)."""
        absent = IdentityConfig(kind="anonymous")
        listener = self.listener.identity if self.listener else absent
        return Profile(
            name=self.name,
            address=self.address.sb_uri,
            listener=listener,
            sender=self.sender.identity if self.sender else absent,
            sender_same_as_listener=self.sender is not None and self.sender is self.listener,
        )


class SecretReader:
    """Reads secrets from environment variables and (once) from standard input.

    Args:
        environ: the environment (default ``os.environ``).
        stdin: standard input (default ``sys.stdin``, looked up when read).
        prompt: asks a person on a terminal without echo (default ``getpass``).
    """

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        stdin: TextIO | None = None,
        prompt: Callable[[str], str] | None = None,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._stdin = stdin
        self._prompt = prompt
        self._stdin_used_for: str | None = None

    def from_env(self, option: str, variable: str) -> Secret:
        """The value of ``variable``; :class:`InvalidInput` when unset or empty."""
        from relaydesk.secrets import Secret

        value = self._environ.get(variable, "")
        if not value.strip():
            raise InvalidInput(option, f"environment variable {variable} is not set or empty")
        if not is_text(value):  # os.environ decodes with surrogateescape (PEP 383)
            raise InvalidInput(option, f"environment variable {variable} is not UTF-8 text")
        return Secret(value.strip())

    def from_stdin(self, option: str, what: str) -> Secret:
        """One line of standard input (a no-echo prompt on a terminal)."""
        from relaydesk.secrets import Secret

        if self._stdin_used_for is not None:
            raise InvalidInput(option, f"standard input is already used for {self._stdin_used_for}")
        self._stdin_used_for = option
        stream = self._stdin if self._stdin is not None else sys.stdin
        not_text = InvalidInput(option, f"the {what} on standard input is not UTF-8 text")
        try:
            value = self._ask(f"{what}: ") if stream.isatty() else stream.readline()
        except UnicodeDecodeError:
            raise not_text from None
        if not is_text(value):  # stdin decodes with surrogateescape in the C locale
            raise not_text
        if not value.strip():
            raise InvalidInput(option, f"no {what} on standard input")
        return Secret(value.strip())

    def _ask(self, text: str) -> str:
        if self._prompt is not None:
            return self._prompt(text)
        import getpass  # termios: only a person at a terminal needs it

        return getpass.getpass(text)


def _connection_string(
    args: argparse.Namespace, reader: SecretReader, warn: Callable[[str], None]
) -> ConnectionString | None:
    """Parse the connection string from the argument, the variable or stdin."""
    text: str | None = None
    if args.connection_string is not None and args.connection_string_env is not None:
        raise InvalidInput(
            "--connection-string", "give --connection-string or --connection-string-env, not both"
        )
    if args.connection_string == "-":
        text = reader.from_stdin("--connection-string", "connection string").reveal()
    elif args.connection_string is not None:
        text = args.connection_string
    elif args.connection_string_env is not None:
        text = reader.from_env("--connection-string-env", args.connection_string_env).reveal()
    if text is None:
        return None
    from relaydesk.protocol.connection_string import parse_connection_string

    parsed = parse_connection_string(text)
    if args.connection_string not in (None, "-") and (parsed.key or parsed.shared_access_signature):
        warn(_CS_WARNING)
    return parsed


def _one_secret(
    args: argparse.Namespace, reader: SecretReader, *, name: str, what: str
) -> Secret | None:
    """The secret of ``--{name}-env VAR`` or ``--{name}-stdin``, or None."""
    dest = name.replace("-", "_")
    variable = getattr(args, f"{dest}_env", None)
    use_stdin = bool(getattr(args, f"{dest}_stdin", False))
    if variable is not None and use_stdin:
        raise InvalidInput(f"--{name}-env", f"give --{name}-env or --{name}-stdin, not both")
    if variable is not None:
        return reader.from_env(f"--{name}-env", variable)
    if use_stdin:
        return reader.from_stdin(f"--{name}-stdin", what)
    return None


def _identity_from_options(
    args: argparse.Namespace, reader: SecretReader, *, prefix: str
) -> Credential | None:
    """Build the identity the ``--{prefix}…`` options describe, or None."""
    dest = prefix.replace("-", "_")
    if prefix and getattr(args, f"{dest}anonymous", False):
        return Credential(IdentityConfig(kind="anonymous"))
    sign_in = getattr(args, f"{dest}sign_in", None)
    if sign_in:
        return _user(args, sign_in, prefix=prefix)
    client_id = getattr(args, f"{dest}client_id", None)
    key_name = getattr(args, f"{dest}sas_key_name", None)
    secret = _one_secret(args, reader, name=f"{prefix}client-secret", what="client secret")
    key = _one_secret(args, reader, name=f"{prefix}sas-key", what="SAS key")
    if client_id and key_name:
        raise InvalidInput(f"--{prefix}client-id", "give an Entra app or a SAS rule, not both")
    if client_id:
        return _entra(args, client_id, secret, prefix=prefix)
    if key_name:
        if key is None:
            raise InvalidInput(
                f"--{prefix}sas-key-env", f"--{prefix}sas-key-name needs --{prefix}sas-key-env VAR"
            )
        return Credential(IdentityConfig(kind="sas", sas_key_name=key_name.strip()), key)
    if secret is not None or key is not None:
        raise InvalidInput(
            f"--{prefix}client-id", "a secret was given without --client-id or --sas-key-name"
        )
    return None


def split_authority(value: str | None, tenant_id: str | None) -> tuple[str | None, str | None]:
    """Accept a bare authority host or a full authority ``https://host/{tenant}``.

    The emulator's ready line gives the full authority; its first path
    segment is the tenant (protocol §10.1, §12), which must then agree with
    ``--tenant-id`` if that is given too.

    Raises:
        InvalidInput: the two tenants differ.
    """
    if not value:
        return value, tenant_id
    parts = urlsplit(value.strip())
    segment = parts.path.strip("/").split("/")[0]
    if not segment:
        return value.strip().rstrip("/"), tenant_id
    if tenant_id and tenant_id.strip() != segment:
        raise InvalidInput(
            "--authority-host", f"the authority's tenant {segment} differs from --tenant-id"
        )
    return f"{parts.scheme}://{parts.netloc}", segment


def _entra(
    args: argparse.Namespace, client_id: str, secret: Secret | None, *, prefix: str
) -> Credential:
    authority_host, tenant_id = split_authority(args.authority_host, args.tenant_id)
    if not tenant_id:
        raise InvalidInput("--tenant-id", f"--{prefix}client-id needs --tenant-id T")
    if secret is None:
        raise InvalidInput(
            f"--{prefix}client-secret-env",
            f"--{prefix}client-id needs --{prefix}client-secret-env VAR "
            f"(or --{prefix}client-secret-stdin)",
        )
    identity = IdentityConfig(
        kind="entra",
        tenant_id=tenant_id.strip(),
        client_id=client_id.strip(),
        authority_host=authority_host,
    )
    return Credential(identity, secret)


def _user(args: argparse.Namespace, sign_in: str, *, prefix: str) -> Credential:
    """``--{prefix}sign-in``: a person, with no secret at all."""
    dest = prefix.replace("-", "_")
    given = [
        f"--{prefix}{name}"
        for name in ("client-secret-env", "client-secret-stdin", "sas-key-name", "sas-key-env")
        if getattr(args, f"{dest}{name.replace('-', '_')}", None)
    ]
    if given:
        raise InvalidInput(
            f"--{prefix}sign-in", f"a person signing in needs no secret: drop {given[0]}"
        )
    authority_host, tenant_id = split_authority(args.authority_host, args.tenant_id)
    if not tenant_id:
        raise InvalidInput(
            "--tenant-id", f"--{prefix}sign-in needs --tenant-id (a GUID, domain or organizations)"
        )
    identity = IdentityConfig(
        kind="user",
        tenant_id=tenant_id.strip(),
        client_id=(getattr(args, f"{dest}client_id", None) or "").strip(),
        authority_host=authority_host,
        sign_in="device_code" if sign_in == "device-code" else "browser",
    )
    return Credential(identity)


def _identity_from_connection_string(cs: ConnectionString | None) -> Credential | None:
    from relaydesk.secrets import Secret

    if cs is None:
        return None
    if cs.shared_access_signature:
        signature = Secret(cs.shared_access_signature)
        return Credential(IdentityConfig(kind="sas_signature"), signature)
    if cs.key_name and cs.key:
        return Credential(IdentityConfig(kind="sas", sas_key_name=cs.key_name), Secret(cs.key))
    return None


def _address(text: str | None, cs: ConnectionString | None) -> HybridConnectionAddress | None:
    """ADDRESS wins; a bare entity name combines with the connection string's endpoint."""
    if text is not None and cs is not None and "/" not in text.strip().strip("/"):
        return cs.address(text.strip().strip("/"))
    if text is not None:
        return HybridConnectionAddress.parse(text)
    if cs is not None:
        return cs.address()
    return None


def _profile_roles(
    roles: tuple[Role, ...], main: Credential | None, sender: Credential | None
) -> tuple[Role, ...]:
    """The roles whose identity must come from the profile (not overridden)."""
    needed: list[Role] = []
    if "listener" in roles and main is None:
        needed.append("listener")
    if "sender" in roles and sender is None and main is None:
        needed.append("sender")
    return tuple(needed)


def _profile_credentials(
    profile: Profile, secrets: Mapping[Role, Secret | None]
) -> dict[Role, Credential]:
    """The saved identities of the roles read; one object when the sender is the listener."""
    built: dict[Role, Credential] = {}
    for role, secret in secrets.items():
        if role == "sender" and profile.sender_same_as_listener and "listener" in built:
            built[role] = built["listener"]
        else:
            built[role] = Credential(profile.identity(role), secret)
    return built


def _trusting(credential: Credential | None, ca_file: Path | None) -> Credential | None:
    """An Entra identity without a CA file of its own trusts ``--ca-file`` too."""
    if credential is None or ca_file is None:
        return credential
    identity = credential.identity
    if identity.kind not in ("entra", "user") or identity.ca_file:
        return credential
    return Credential(replace(identity, ca_file=str(ca_file)), credential.secret)


def resolve_target(
    args: argparse.Namespace,
    *,
    roles: tuple[Role, ...],
    warn: Callable[[str], None],
    reader: SecretReader | None = None,
) -> Target:
    """Work out the address and the identity of each role from the options.

    Precedence: explicit options, then the connection string, then the
    profile (its secrets from the OS keyring). The sender uses the
    ``--sender-*`` identity, else the main one, else the profile's sender.

    Raises:
        InvalidInput: missing or conflicting options, an unset variable, an
            address or connection string that does not parse.
        ProfileError, SecretStoreError: the profile or its secret could not
            be read.
    """
    reader = reader or SecretReader()
    cs = _connection_string(args, reader, warn)
    main = _identity_from_options(args, reader, prefix="") or _identity_from_connection_string(cs)
    sender = _identity_from_options(args, reader, prefix="sender-") or main
    address = _address(getattr(args, "address", None), cs)
    ca_file = Path(args.ca_file) if args.ca_file else None
    profile_name = getattr(args, "cli_profile", None) or getattr(args, "profile", None)
    profile_proxy = None
    if profile_name:
        from relaydesk.cli.profile_source import load_profile

        loaded = load_profile(profile_name, roles=_profile_roles(roles, main, sender))
        profile_proxy = loaded.proxy
        saved = _profile_credentials(loaded.profile, loaded.secrets)
        address = address or loaded.profile.parsed_address()
        main = main or saved.get("listener")
        sender = sender or saved.get("sender")
        ca_file = ca_file or loaded.ca_file
    if address is None:
        raise InvalidInput("address", "give ADDRESS (e.g. sb://ns.servicebus.windows.net/hc)")
    trusting = _trusting(main, ca_file)
    sender = trusting if sender is main else _trusting(sender, ca_file)
    target = Target(
        address=address,
        listener=trusting if "listener" in roles else None,
        sender=sender if "sender" in roles else None,
        ca_file=ca_file,
        token_lifetime=_token_lifetime(getattr(args, "token_lifetime", None)),
        name=profile_name or "command line",
        proxy=proxy_from_args(args, reader, profile_proxy),
    )
    for role in roles:
        target.identity(role)  # raises InvalidInput when a needed identity is missing
    if target.token_lifetime is not None and not any(
        target.identity(role).kind == "sas" for role in roles
    ):
        raise InvalidInput(
            "--token-lifetime",
            "applies to tokens signed with a SAS key (--sas-key-name …); Entra ID and "
            "given signatures set their own lifetime",
        )
    return target


def _token_lifetime(text: str | None) -> float | None:
    """``--token-lifetime``: a finite number of seconds within the bounds."""
    if text is None:
        return None
    bounds = f"between {MIN_TOKEN_LIFETIME:g} and {MAX_TOKEN_LIFETIME:.0f} seconds"
    try:
        seconds = float(text)
    except ValueError:
        raise InvalidInput("--token-lifetime", f"{text!r} is not a number of seconds") from None
    if not MIN_TOKEN_LIFETIME <= seconds <= MAX_TOKEN_LIFETIME:  # NaN fails too
        raise InvalidInput("--token-lifetime", f"must be {bounds}")
    return seconds


def make_provider(target: Target, role: Role) -> TokenProvider:
    """Build ``role``'s token provider with :func:`relaydesk.token_providers.provider_for`.

    Raises:
        InvalidInput: ``role`` has no credential.
        InvalidField: an option the provider refuses (non-https authority,
            unreadable CA file, an anonymous listener, …).
    """
    from relaydesk.auth.sas_provider import DEFAULT_SAS_TTL
    from relaydesk.token_providers import SignInOptions, provider_for

    credential = target.credential(role)
    ttl = target.token_lifetime or DEFAULT_SAS_TTL
    sign_in = SignInOptions(
        on_device_code=target.on_device_code, open_browser=target.open_browser, warn=target.warn
    )
    return provider_for(
        target.profile(), role, credential.secret, sas_ttl=ttl, proxy=target.proxy, sign_in=sign_in
    )
