"""Credentials never reach logs or error text."""

from __future__ import annotations

import logging

import pytest

from relaydesk.protocol.redaction import redact_text as redact
from relaydesk.relay.redact import RedactingLogger

SAS = (
    "SharedAccessSignature sr=http%3A%2F%2Fns%2Fdemo&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789%3D"
    "&se=1&skn=Root"
)
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3JlbGF5In0.c2lnbmF0dXJlLXZhbHVlLWhlcmU"


def test_redact_masks_sas_signature_jwt_and_token_parameter() -> None:
    assert "AbCdEf" not in redact(SAS)
    assert "skn=Root" in redact(SAS)
    assert "c2lnbmF0dXJl" not in redact(f"token {JWT} rejected")
    assert "secret" not in redact("wss://h/$hc/x?sb-hc-token=secret&a=1")
    assert redact("plain text") == "plain text"


def test_logger_masks_credential_headers(caplog: pytest.LogCaptureFixture) -> None:
    logger = RedactingLogger(logging.getLogger("relaydesk.test.redact"), {})
    with caplog.at_level(logging.DEBUG, logger="relaydesk.test.redact"):
        logger.debug("> %s: %s", "ServiceBusAuthorization", SAS)
        logger.debug("> %s: %s", "Authorization", "Bearer opaque-value-123")
        logger.debug("> %s: %s", "X-Other", "visible")
    text = caplog.text
    assert "AbCdEf" not in text and "opaque-value-123" not in text
    assert "visible" in text and text.count("<redacted>") == 2
