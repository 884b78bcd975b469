"""``--proxy URL``, ``--no-proxy``, ``--proxy-user``, ``--proxy-password-env``.

Without these options a command uses the profile's proxy mode, else the
system mode (``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY``, see
:mod:`relaydesk.proxy`). Like every secret, the proxy password never comes
from a plain argument: ``--proxy-password-env VAR``, a password inside
``HTTPS_PROXY``, or the profile's entry in the OS keyring.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from relaydesk.cli.argument_types import text
from relaydesk.errors import InvalidInput

if TYPE_CHECKING:
    from relaydesk.cli.credentials import SecretReader
    from relaydesk.proxy import ProxySettings

__all__ = ["add_proxy_arguments", "proxy_from_args"]


def add_proxy_arguments(parser: argparse.ArgumentParser) -> None:
    """The proxy options (every command that connects)."""
    group = parser.add_argument_group(
        "proxy (default: the profile's, else HTTPS_PROXY/ALL_PROXY/NO_PROXY)"
    )
    mode = group.add_mutually_exclusive_group()
    mode.add_argument(
        "--proxy",
        metavar="URL",
        type=text,
        help="use this proxy for every connection: http://host:port or socks5://host:port",
    )
    mode.add_argument(
        "--no-proxy",
        action="store_true",
        help="connect directly, whatever the environment or the profile says",
    )
    group.add_argument(
        "--proxy-user", metavar="NAME", type=text, help="Basic user name for the proxy"
    )
    group.add_argument(
        "--proxy-password-env",
        metavar="VAR",
        help="read the proxy password from this environment variable",
    )


def proxy_from_args(
    args: argparse.Namespace, reader: SecretReader, default: ProxySettings | None = None
) -> ProxySettings | None:
    """The proxy settings the options ask for; ``default`` (the profile's) otherwise.

    Raises:
        InvalidInput: a password without a user, or an unusable ``--proxy``.
    """
    from relaydesk.proxy import ProxySettings

    if getattr(args, "no_proxy", False):
        return ProxySettings("none")
    user = getattr(args, "proxy_user", None)
    password_env = getattr(args, "proxy_password_env", None)
    password = reader.from_env("--proxy-password-env", password_env) if password_env else None
    if password is not None and not user:
        raise InvalidInput("--proxy-user", "give the proxy user name with its password")
    url = getattr(args, "proxy", None)
    if url:
        return ProxySettings.explicit(url, username=user, password=password)
    if user is None:
        return default
    base = default or ProxySettings()
    return ProxySettings(base.mode, base.url, user, password or base.password)
