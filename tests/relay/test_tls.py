"""TLS context: system CAs plus an optional extra CA file."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from relaydesk.errors import InvalidField
from relaydesk.relay.tls import make_ssl_context
from tests.relay.conftest import RelaySetup


def test_default_context_verifies() -> None:
    context = make_ssl_context()
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


@pytest.mark.e2e
def test_extra_ca_is_added_to_the_system_store(relay: RelaySetup) -> None:
    system = make_ssl_context().cert_store_stats()["x509_ca"]
    extended = make_ssl_context(relay.emulator.ca_file).cert_store_stats()["x509_ca"]
    assert extended == system + 1


def test_unreadable_ca_file_is_a_field_error(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(InvalidField) as info:
        make_ssl_context(bad)
    assert info.value.field == "ca_file"
    with pytest.raises(InvalidField):
        make_ssl_context(tmp_path / "missing.pem")
