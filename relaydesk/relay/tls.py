"""The TLS context for the relay: system CAs plus an optional extra CA file.

Hybrid Connections are TLS only (§1). The local emulator uses its own CA,
so callers may add its ``ca.pem``; the system store stays trusted too, so
one context works for Azure and the emulator alike. ``REQUESTS_CA_BUNDLE``
and ``CURL_CA_BUNDLE`` do not apply here (they are ``requests``'
variables); ``SSL_CERT_FILE``/``SSL_CERT_DIR`` do, through OpenSSL.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from relaydesk.errors import InvalidField

__all__ = ["make_ssl_context"]


def make_ssl_context(extra_ca_file: str | Path | None = None) -> ssl.SSLContext:
    """Build a verifying client context trusting system CAs and ``extra_ca_file``.

    Raises:
        InvalidField: ``extra_ca_file`` cannot be read or is not PEM/DER CA data.
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if extra_ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(extra_ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise InvalidField(
                "ca_file", f"cannot load CA certificates from {extra_ca_file} ({exc})"
            ) from None
    return context
