"""The TLS context for the relay: system CAs plus an optional extra CA file.

Hybrid Connections are TLS only (§1). The local emulator uses its own CA,
so callers may add its ``ca.pem``; the system store stays trusted too, so
one context works for Azure and the emulator alike. ``REQUESTS_CA_BUNDLE``
and ``CURL_CA_BUNDLE`` do not apply here (they are ``requests``'
variables); ``SSL_CERT_FILE``/``SSL_CERT_DIR`` do, through OpenSSL.

One exception: for a loopback relay host (the emulator on 127.0.0.1, ::1
or localhost) with an extra CA, only that CA is trusted. Public CAs issue
no certificates for loopback names or addresses, so the system store could
never vouch for such a host, and parsing it costs a one-shot command
(``relaydesk send``) 15–40 ms of its start-up.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from relaydesk.errors import InvalidField
from relaydesk.protocol.address import is_loopback_host

__all__ = ["check_ca_file", "make_ssl_context"]


def make_ssl_context(
    extra_ca_file: str | Path | None = None, *, host: str | None = None
) -> ssl.SSLContext:
    """Build a verifying client context trusting system CAs and ``extra_ca_file``.

    Args:
        extra_ca_file: a CA to trust besides the system's (the emulator's).
        host: the relay host this context is for; when it is a loopback
            name or address and ``extra_ca_file`` is given, the system CAs
            are left out (see the module docstring).

    Raises:
        InvalidField: ``extra_ca_file`` cannot be read or is not PEM/DER CA data.
    """
    if extra_ca_file is not None and host is not None and is_loopback_host(host):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifying, like the default
    else:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if extra_ca_file is not None:
        _load_ca(context, extra_ca_file)
    return context


def check_ca_file(path: str | Path, *, field: str = "ca_file") -> None:
    """Check that ``path`` holds CA certificates (a form checks a field as typed).

    Only that file is read, not the system store.

    Raises:
        InvalidField: naming ``field``, as :func:`make_ssl_context` would.
    """
    _load_ca(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), path, field=field)


def _load_ca(context: ssl.SSLContext, path: str | Path, *, field: str = "ca_file") -> None:
    try:
        context.load_verify_locations(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise InvalidField(field, f"cannot load CA certificates from {path} ({exc})") from None
