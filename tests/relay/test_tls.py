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


@pytest.mark.e2e
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "emu.localhost"])
def test_a_loopback_relay_with_a_ca_file_trusts_only_that_ca(relay: RelaySetup, host: str) -> None:
    """Public CAs cannot vouch for loopback names: the system store is not loaded."""
    context = make_ssl_context(relay.emulator.ca_file, host=host)
    assert context.cert_store_stats()["x509_ca"] == 1
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


@pytest.mark.e2e
def test_other_hosts_keep_the_system_store(relay: RelaySetup) -> None:
    system = make_ssl_context().cert_store_stats()["x509_ca"]
    for host in ("ns.servicebus.windows.net", "10.0.0.1", "localhost.example"):
        extended = make_ssl_context(relay.emulator.ca_file, host=host)
        assert extended.cert_store_stats()["x509_ca"] == system + 1
    assert make_ssl_context(host="127.0.0.1").cert_store_stats()["x509_ca"] == system
