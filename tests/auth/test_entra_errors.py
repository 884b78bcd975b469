"""MSAL failure shapes → typed errors (§10.6 code table, §12)."""

from __future__ import annotations

import json

import msal.exceptions
import pytest
import requests

from relaydesk.auth.entra_errors import (
    AADSTS_REMEDIES,
    GENERIC_REMEDY,
    error_from_exception,
    error_from_result,
    scrub,
)
from relaydesk.errors import AuthNetworkError, EntraError

AUTHORITY = "https://login.example/tenant"
SECRET = "Zq8~secret-value-that-must-not-leak"


def _result(code: int, error: str = "invalid_request") -> dict[str, object]:
    return {
        "error": error,
        "error_description": (
            f"AADSTS{code}: Something happened.\r\nTrace ID: t\r\nCorrelation ID: c\r\n"
            "Timestamp: 2026-01-01 00:00:00Z"
        ),
        "error_codes": [code],
        "trace_id": "trace-1",
        "correlation_id": "corr-1",
    }


@pytest.mark.parametrize("code", sorted(AADSTS_REMEDIES))
def test_every_documented_code_has_its_remedy(code: int) -> None:
    error = error_from_result(_result(code), http_status=400)
    assert error.aadsts_code == code
    assert error.remedy == AADSTS_REMEDIES[code]
    assert error.message == "Something happened."
    assert str(error) == f"AADSTS{code}: Something happened."
    assert (error.trace_id, error.correlation_id, error.http_status) == ("trace-1", "corr-1", 400)


def test_required_remedy_wording() -> None:
    assert "Value, not its ID" in AADSTS_REMEDIES[7000215]
    assert "expired" in AADSTS_REMEDIES[7000222]
    assert "tenant" in AADSTS_REMEDIES[700016] and "client id" in AADSTS_REMEDIES[700016]


def test_unknown_code_and_missing_codes_fall_back() -> None:
    assert error_from_result(_result(123456)).remedy == GENERIC_REMEDY
    bare = error_from_result({"error": "invalid_client"})
    assert bare.aadsts_code is None and bare.remedy == GENERIC_REMEDY
    assert str(bare) == "invalid_client"
    from_text = error_from_result({"error": "x", "error_description": "AADSTS70011: bad scope"})
    assert from_text.aadsts_code == 70011


def test_secret_is_scrubbed_from_descriptions() -> None:
    result = _result(7000215)
    result["error_description"] = f"AADSTS7000215: echoed {SECRET} back"
    error = error_from_result(result, secret=SECRET)
    assert SECRET not in str(error) and "***" in str(error)
    assert scrub("a b", "") == "a b"


def test_network_shapes() -> None:
    refused = error_from_exception(
        requests.exceptions.ConnectionError("refused"), authority=AUTHORITY, secret=SECRET
    )
    assert isinstance(refused, AuthNetworkError) and AUTHORITY in str(refused)
    tls = error_from_exception(
        requests.exceptions.SSLError("bad cert"), authority=AUTHORITY, secret=SECRET
    )
    assert isinstance(tls, AuthNetworkError) and "TLS" in str(tls)
    timeout = error_from_exception(
        requests.exceptions.ReadTimeout("slow"), authority=AUTHORITY, secret=SECRET
    )
    assert isinstance(timeout, AuthNetworkError)


def test_server_errors_are_entra_errors_with_status() -> None:
    response = requests.Response()
    response.status_code = 503
    http_error = requests.exceptions.HTTPError("503 Server Error", response=response)
    error = error_from_exception(http_error, authority=AUTHORITY, secret=SECRET)
    assert isinstance(error, EntraError) and error.http_status == 503
    service = error_from_exception(
        msal.exceptions.MsalServiceError(error="temporarily_unavailable", error_description="x"),
        authority=AUTHORITY,
        secret=SECRET,
    )
    assert isinstance(service, EntraError) and service.error == "server_error"


def test_discovery_value_error_keeps_the_aadsts_code() -> None:
    """MSAL re-raises discovery 4xx as a ValueError; the body sits in __context__."""
    body = json.dumps(_result(90002, "invalid_tenant"))
    try:
        try:
            raise ValueError(f"OIDC Discovery failed on x. HTTP status: 400, Error: {body}")
        except ValueError:
            raise ValueError("Unable to get authority configuration for x.") from None
    except ValueError as exc:
        # ``from None`` hides the cause but keeps __context__, like MSAL's plain raise.
        error = error_from_exception(exc, authority=AUTHORITY, secret=SECRET)
    assert isinstance(error, EntraError)
    assert error.aadsts_code == 90002 and error.remedy == AADSTS_REMEDIES[90002]


def test_other_value_errors_are_invalid_authority() -> None:
    error = error_from_exception(ValueError("bad url"), authority=AUTHORITY, secret=SECRET)
    assert isinstance(error, EntraError) and error.error == "invalid_authority"
