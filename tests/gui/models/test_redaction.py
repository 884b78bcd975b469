"""Redaction: no token, signature, key or credential header survives."""

from __future__ import annotations

import pytest

from relaydesk.gui.models.redaction import REDACTED, redact_headers, redact_text, redact_value

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3JlbGF5In0.c2lnbmF0dXJlLXBhcnQ"
SAS = (
    "SharedAccessSignature sr=http%3a%2f%2f127.0.0.1%2fdemo"
    "&sig=AbCdEf0123456789%2BxYz%3D&se=1795898346&skn=RootManageSharedAccessKey"
)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"wss://ns/$hc/demo?sb-hc-action=listen&sb-hc-token={SAS}", "AbCdEf0123456789"),
        ("https://ns/demo?sb-hc-token=abc%20def&x=1", "abc%20def"),
        (SAS, "AbCdEf0123456789"),
        (f"closed: token {JWT} expired", JWT),
        (f"Authorization: Bearer {JWT}", JWT),
        ("ServiceBusAuthorization: opaque-value-123", "opaque-value-123"),
        (
            "Endpoint=sb://ns/;SharedAccessKeyName=x;SharedAccessKey=K3y+Value=;EntityPath=demo",
            "K3y+Value",
        ),
        ("...&sig=Zm9vYmFy&se=1", "Zm9vYmFy"),
    ],
)
def test_redact_text_removes_the_secret(text: str, secret: str) -> None:
    redacted = redact_text(text)
    assert secret not in redacted
    assert REDACTED in redacted


def test_redact_text_keeps_harmless_text() -> None:
    text = "Forbidden 403: assign Azure Relay Sender; Authorization failed for sb://ns/demo"
    assert redact_text(text) == text


def test_redact_keeps_the_query_structure() -> None:
    assert redact_text("a?sb-hc-token=xyz&sb-hc-id=1") == "a?sb-hc-token=<redacted>&sb-hc-id=1"


def test_redact_headers_hides_credential_headers_case_insensitively() -> None:
    headers = {
        "servicebusauthorization": "x",
        "Authorization": "Bearer y",
        "Cookie": "session=z",
        "Content-Type": "text/plain",
    }
    assert redact_headers(headers) == {
        "servicebusauthorization": REDACTED,
        "Authorization": REDACTED,
        "Cookie": REDACTED,
        "Content-Type": "text/plain",
    }


def test_redact_value_walks_nested_structures() -> None:
    value = {"a": [f"x {JWT}"], "token": "raw", "n": 3, "inner": {"client_secret": "s"}}
    assert redact_value(value) == {
        "a": [f"x {REDACTED}"],
        "token": REDACTED,
        "n": 3,
        "inner": {"client_secret": REDACTED},
    }
