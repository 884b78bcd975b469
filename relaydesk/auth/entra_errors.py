"""MSAL's failure shapes → typed errors with a one-line remedy.

MSAL fails in three shapes (platform notes; protocol §12 items 4, 7):

1. an error ``dict`` from ``acquire_token_for_client`` (HTTP 4xx: ``error``,
   ``error_description`` with the AADSTS text, ``error_codes``, ``trace_id``,
   ``correlation_id``) → :class:`EntraError`;
2. ``msal.exceptions.MsalServiceError`` or ``requests.HTTPError`` (5xx) →
   :class:`EntraError` with ``http_status``;
3. ``requests`` exceptions (refused, DNS, timeout, TLS) →
   :class:`AuthNetworkError`.

Plus ``ValueError`` from the ``ConfidentialClientApplication`` constructor:
its tenant discovery turns a 4xx (unknown tenant, AADSTS90002) into a
``ValueError`` whose ``__context__`` carries the response body, and a bad
authority URL is a ``ValueError`` too.

Branch on ``error``/codes, never on the description text (§10.6: texts change).
Every message passes :func:`scrub` so the client secret can never leak.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import msal.exceptions
import requests

from relaydesk.errors import AuthError, AuthNetworkError, EntraError

__all__ = [
    "AADSTS_REMEDIES",
    "GENERIC_REMEDY",
    "error_from_exception",
    "error_from_result",
    "scrub",
]

#: One-line remedies per AADSTS code (§10.6 table).
AADSTS_REMEDIES: dict[int, str] = {
    7000215: "The client secret is wrong: paste the secret's Value, not its ID.",
    7000222: "The client secret has expired: create a new secret for the app registration.",
    700016: (
        "No app with this client id exists in this tenant: check the client id "
        "(Application ID) and the tenant."
    ),
    90002: "The tenant was not found: check the tenant id or domain, and the cloud.",
    900023: "The tenant must be a GUID or a verified domain such as contoso.onmicrosoft.com.",
    70011: "The scope is invalid: use the Relay resource followed by /.default.",
    500011: (
        "The resource (Azure Relay) is not known in this tenant: check the scope and the cloud."
    ),
    900144: "A required parameter was missing from the token request: check the profile fields.",
    70003: "The authority does not support the client-credentials grant for this app.",
    7000216: "No client secret was sent: enter the client secret.",
}

GENERIC_REMEDY = "Check the tenant, client id, client secret and cloud of this identity."

_NETWORK_REMEDY = (
    "Check the authority host, the network (proxy settings) and the trusted CA "
    "(for the emulator, its CA file)."
)

_AADSTS_RE = re.compile(r"AADSTS(\d+)")


def scrub(text: str, secret: str | None) -> str:
    """Replace every occurrence of ``secret`` in ``text`` with ``***``."""
    if secret:
        text = text.replace(secret, "***")
    return text


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return _AADSTS_RE.sub("", line, count=1).lstrip(": ").strip()


def _aadsts_code(result: Mapping[str, Any]) -> int | None:
    codes = result.get("error_codes")
    if isinstance(codes, list) and codes and isinstance(codes[0], int):
        return codes[0]
    match = _AADSTS_RE.search(str(result.get("error_description", "")))
    return int(match.group(1)) if match else None


def error_from_result(
    result: Mapping[str, Any], *, secret: str | None = None, http_status: int | None = None
) -> EntraError:
    """Turn MSAL's error dict (or an OAuth2 error body) into an :class:`EntraError`."""
    code = _aadsts_code(result)
    error = str(result.get("error", "")) or "unknown_error"
    description = _first_line(str(result.get("error_description", ""))) or error
    remedy = AADSTS_REMEDIES.get(code, GENERIC_REMEDY) if code else GENERIC_REMEDY
    return EntraError(
        scrub(description, secret),
        remedy=remedy,
        error=error,
        aadsts_code=code,
        trace_id=_opt_str(result.get("trace_id")),
        correlation_id=_opt_str(result.get("correlation_id")),
        http_status=http_status,
    )


def _opt_str(value: object) -> str | None:
    return str(value) if value else None


def _body_from_discovery_error(exc: BaseException) -> Mapping[str, Any] | None:
    """Find the JSON error body MSAL's discovery put into a ValueError chain."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        text = str(current)
        start = text.find("{")
        if start >= 0:
            try:
                body = json.loads(text[start : text.rfind("}") + 1])
            except ValueError:
                body = None
            if isinstance(body, dict) and ("error" in body or "error_codes" in body):
                return body
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def _status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def error_from_exception(exc: BaseException, *, authority: str, secret: str | None) -> AuthError:
    """Map an exception raised inside MSAL to :class:`EntraError`/:class:`AuthNetworkError`."""
    if isinstance(exc, requests.exceptions.SSLError):
        return AuthNetworkError(
            scrub(f"TLS verification failed for the authority {authority}", secret),
            remedy="Trust the authority's CA (set the CA file), or check for a TLS-intercepting "
            "proxy.",
        )
    if isinstance(exc, requests.exceptions.HTTPError | msal.exceptions.MsalServiceError):
        status = _status_of(exc) or getattr(exc, "status_code", None)
        return EntraError(
            scrub(f"The authority {authority} failed ({type(exc).__name__}: {exc})", secret),
            remedy="The identity service had a server error; try again in a minute.",
            error="server_error",
            http_status=status if isinstance(status, int) else None,
        )
    if isinstance(exc, requests.exceptions.RequestException | OSError):
        return AuthNetworkError(
            scrub(f"Cannot reach the authority {authority} ({type(exc).__name__})", secret),
            remedy=_NETWORK_REMEDY,
        )
    if isinstance(exc, ValueError):
        body = _body_from_discovery_error(exc)
        if body is not None:
            return error_from_result(body, secret=secret, http_status=400)
        return EntraError(
            scrub(f"The authority {authority} is not valid or did not answer discovery", secret),
            remedy="Check the tenant and the authority host (an https:// URL).",
            error="invalid_authority",
        )
    return EntraError(
        scrub(f"Getting a token from {authority} failed ({type(exc).__name__})", secret),
        remedy=GENERIC_REMEDY,
        error="unexpected_error",
    )
