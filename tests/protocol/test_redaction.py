"""relaydesk.protocol.redaction: no token, signature, key or credential header survives."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from relaydesk.protocol.redaction import REDACTED, redact_headers, redact_text, redact_value
from tests.hostile_text import hostile_text

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


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Proxy-Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("https://app/cb?code=0.AAAA-oauth-code&state=1", "0.AAAA-oauth-code"),
        ("GET /x?access_token=opaque123&y=2", "opaque123"),
        ("GET /api/items?token=app-opaque-1&page=2", "app-opaque-1"),
        ("/demo/x?page=1&api_key=k-123456&q=1", "k-123456"),
        ("/demo/x?apikey=k-654321", "k-654321"),
    ],
)
def test_redact_text_covers_proxy_credentials_and_oauth_query_values(
    text: str, secret: str
) -> None:
    assert secret not in redact_text(text)


def test_set_cookie_is_a_secret_header() -> None:
    assert redact_headers({"Set-Cookie": "sid=1"}) == {"Set-Cookie": REDACTED}


def test_a_word_ending_in_sig_or_code_is_not_a_parameter() -> None:
    text = "zipcode=12345 and config=sig"
    assert redact_text(text) == text


def test_prose_about_authorization_is_not_a_header() -> None:
    text = "This hybrid connection requires client authorization: give the sender an identity"
    assert redact_text(text) == text
    assert "abc" not in redact_text('{"Authorization": "abc"}')


_SECRET = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789-_",
    min_size=12,
    max_size=40,
)
_CONTEXTS = (
    "wss://ns/$hc/demo?sb-hc-action=listen&sb-hc-token={}",
    "SharedAccessSignature sr=http%3a%2f%2fns%2fdemo&sig={}&se=1&skn=Root",
    "Endpoint=sb://ns/;SharedAccessKeyName=Root;SharedAccessKey={};EntityPath=demo",
    "ServiceBusAuthorization: {}",
    '{{"Authorization": "Bearer {}"}}',
    "closed 1008: token eyJhbGciOiJSUzI1NiJ9.eyJ{}.c2ln rejected",
)


@settings(max_examples=60, deadline=None)
@given(secret=_SECRET, context=st.sampled_from(_CONTEXTS), before=st.text(max_size=20))
def test_no_secret_survives_in_any_known_context(secret: str, context: str, before: str) -> None:
    assume(secret not in before and secret not in context)
    text = before + "\n" + context.format(secret)
    assert secret not in redact_text(text)


@settings(max_examples=60, deadline=None)
@given(
    text=hostile_text(),
    headers=st.dictionaries(hostile_text(max_size=12), hostile_text(), max_size=3),
)
def test_hostile_text_is_redacted_without_error(text: str, headers: dict[str, str]) -> None:
    """Lone surrogates and control characters pass through as they are: text in, text out."""
    assert isinstance(redact_text(text), str)
    assert set(redact_headers(headers)) == set(headers)
    assert isinstance(redact_value({"token": text, "nested": [text, {"x": text}]}), dict)
