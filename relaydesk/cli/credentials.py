"""Resolve the address, identities and secrets a CLI command needs.

Secrets come from an environment variable, standard input or the OS keyring
(through a profile), never from a plain argument (product principle 6). The
one exception is ``--connection-string CS``: accepted because the portal hands
out connection strings, but when the string holds a key or signature the
command warns on stderr that it shows in the process list and the shell
history, and points to ``--connection-string-env`` / ``--connection-string -``.

Identities are plain frozen values here (:class:`EntraIdentity`,
:class:`SasKeyIdentity`, :class:`SasSignatureIdentity`,
:class:`AnonymousIdentity`); :func:`make_provider` turns one into a token
provider of :mod:`relaydesk.auth` (imported lazily: msal is heavy).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO
from urllib.parse import urlsplit

from relaydesk.errors import InvalidField, InvalidInput
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.connection_string import ConnectionString, parse_connection_string

if TYPE_CHECKING:
    from relaydesk.auth.provider import TokenProvider
    from relaydesk.secrets import Secret

__all__ = [
    "MAX_TOKEN_LIFETIME",
    "MIN_TOKEN_LIFETIME",
    "AnonymousIdentity",
    "EntraIdentity",
    "Identity",
    "Role",
    "SasKeyIdentity",
    "SasSignatureIdentity",
    "SecretReader",
    "Target",
    "make_provider",
    "resolve_target",
]

Role = Literal["listener", "sender"]

_NO_IDENTITY = (
    "no credentials given: use --profile NAME, --connection-string-env VAR, "
    "--client-id C --tenant-id T --client-secret-env VAR, or --sas-key-name N --sas-key-env VAR"
)
_CS_WARNING = (
    "the connection string on the command line holds a key, which shows in the process "
    "list and the shell history; prefer --connection-string-env VAR or --connection-string -"
)


@dataclass(frozen=True)
class EntraIdentity:
    """An Entra app registration (client credentials, protocol §10.6)."""

    tenant_id: str
    client_id: str
    secret: Secret
    authority_host: str | None = None
    cloud: str = "public"
    scope: str | None = None
    ca_file: Path | None = None

    def describe(self) -> str:
        return f"Entra app {self.client_id}"


@dataclass(frozen=True)
class SasKeyIdentity:
    """A shared access rule and its key (protocol §9.3)."""

    key_name: str
    key: Secret

    def describe(self) -> str:
        return f"SAS rule {self.key_name}"


@dataclass(frozen=True)
class SasSignatureIdentity:
    """A fixed ``SharedAccessSignature`` from a connection string (§9.1)."""

    signature: Secret

    def describe(self) -> str:
        return "fixed SharedAccessSignature"


@dataclass(frozen=True)
class AnonymousIdentity:
    """No token: senders to hybrid connections without client authorization (§6)."""

    def describe(self) -> str:
        return "anonymous"


Identity = EntraIdentity | SasKeyIdentity | SasSignatureIdentity | AnonymousIdentity


#: Bounds of ``--token-lifetime``: SAS expiry is whole seconds (§9.2), and a
#: year is far beyond any lifetime the service or the SDKs use (60 min).
MIN_TOKEN_LIFETIME = 1.0
MAX_TOKEN_LIFETIME = 365 * 24 * 3600.0


@dataclass(frozen=True)
class Target:
    """Everything a command needs to reach the relay.

    Attributes:
        address: the hybrid connection.
        listener, sender: the identity of each side (``None`` when the
            command does not need that side).
        ca_file: an extra CA to trust (the emulator's).
        token_lifetime: seconds each signed SAS token lives (``None``: the
            provider's default, 60 minutes).
    """

    address: HybridConnectionAddress
    listener: Identity | None
    sender: Identity | None
    ca_file: Path | None = None
    token_lifetime: float | None = None

    def identity(self, role: Role) -> Identity:
        """The identity for ``role``; raises :class:`InvalidInput` when missing."""
        identity = self.listener if role == "listener" else self.sender
        if identity is None:
            raise InvalidInput("credentials", _NO_IDENTITY)
        return identity


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
        self._prompt = prompt or getpass.getpass
        self._stdin_used_for: str | None = None

    def from_env(self, option: str, variable: str) -> Secret:
        """The value of ``variable``; :class:`InvalidInput` when unset or empty."""
        from relaydesk.secrets import Secret

        value = self._environ.get(variable, "")
        if not value.strip():
            raise InvalidInput(option, f"environment variable {variable} is not set or empty")
        return Secret(value.strip())

    def from_stdin(self, option: str, what: str) -> Secret:
        """One line of standard input (a no-echo prompt on a terminal)."""
        from relaydesk.secrets import Secret

        if self._stdin_used_for is not None:
            raise InvalidInput(option, f"standard input is already used for {self._stdin_used_for}")
        self._stdin_used_for = option
        stream = self._stdin if self._stdin is not None else sys.stdin
        value = self._prompt(f"{what}: ") if stream.isatty() else stream.readline()
        if not value.strip():
            raise InvalidInput(option, f"no {what} on standard input")
        return Secret(value.strip())


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
) -> Identity | None:
    """Build the identity the ``--{prefix}…`` options describe, or None."""
    dest = prefix.replace("-", "_")
    if prefix and getattr(args, f"{dest}anonymous", False):
        return AnonymousIdentity()
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
        return SasKeyIdentity(key_name=key_name.strip(), key=key)
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
) -> EntraIdentity:
    authority_host, tenant_id = split_authority(args.authority_host, args.tenant_id)
    if not tenant_id:
        raise InvalidInput("--tenant-id", f"--{prefix}client-id needs --tenant-id T")
    if secret is None:
        raise InvalidInput(
            f"--{prefix}client-secret-env",
            f"--{prefix}client-id needs --{prefix}client-secret-env VAR "
            f"(or --{prefix}client-secret-stdin)",
        )
    return EntraIdentity(
        tenant_id=tenant_id.strip(),
        client_id=client_id.strip(),
        secret=secret,
        authority_host=authority_host,
    )


def _identity_from_connection_string(cs: ConnectionString | None) -> Identity | None:
    from relaydesk.secrets import Secret

    if cs is None:
        return None
    if cs.shared_access_signature:
        return SasSignatureIdentity(Secret(cs.shared_access_signature))
    if cs.key_name and cs.key:
        return SasKeyIdentity(key_name=cs.key_name, key=Secret(cs.key))
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
    roles: tuple[Role, ...], main: Identity | None, sender: Identity | None
) -> tuple[Role, ...]:
    """The roles whose identity must come from the profile (not overridden)."""
    needed: list[Role] = []
    if "listener" in roles and main is None:
        needed.append("listener")
    if "sender" in roles and sender is None and main is None:
        needed.append("sender")
    return tuple(needed)


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
    if profile_name:
        from relaydesk.cli.profile_source import load_profile

        loaded = load_profile(profile_name, roles=_profile_roles(roles, main, sender))
        address = address or loaded.address
        main = main or loaded.listener
        sender = sender or loaded.sender
        ca_file = ca_file or loaded.ca_file
    if address is None:
        raise InvalidInput("address", "give ADDRESS (e.g. sb://ns.servicebus.windows.net/hc)")
    target = Target(
        address=address,
        listener=main if "listener" in roles else None,
        sender=sender if "sender" in roles else None,
        ca_file=ca_file,
        token_lifetime=_token_lifetime(getattr(args, "token_lifetime", None)),
    )
    for role in roles:
        target.identity(role)  # raises InvalidInput when a needed identity is missing
    if target.token_lifetime is not None and not any(
        isinstance(target.identity(role), SasKeyIdentity) for role in roles
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


def make_provider(identity: Identity, target: Target) -> TokenProvider:
    """Build the token provider of :mod:`relaydesk.auth` for ``identity``.

    Raises:
        InvalidField: an option the provider refuses (non-https authority,
            unreadable CA file, …).
    """
    from relaydesk import auth

    if isinstance(identity, EntraIdentity):
        return auth.EntraTokenProvider(
            identity.tenant_id,
            identity.client_id,
            identity.secret,
            cloud=identity.cloud,
            authority_host=identity.authority_host,
            ca_file=identity.ca_file or target.ca_file,
            scope=identity.scope,
        )
    if isinstance(identity, SasKeyIdentity):
        ttl = target.token_lifetime or auth.DEFAULT_SAS_TTL
        return auth.SasTokenProvider(target.address, identity.key_name, identity.key, ttl=ttl)
    if isinstance(identity, SasSignatureIdentity):
        return auth.StaticSasTokenProvider(identity.signature)
    if isinstance(identity, AnonymousIdentity):
        return auth.AnonymousTokenProvider()
    raise InvalidField("credentials", "unknown identity kind")  # pragma: no cover
