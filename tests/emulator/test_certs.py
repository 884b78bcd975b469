"""Tests for relaydesk.emulator.certs: the local CA and leaf (§13)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import stat
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.x509.oid import NameOID

from relaydesk.emulator.certs import (
    CA_COMMON_NAME,
    CertificateFiles,
    client_ssl_context,
    ensure_certificates,
    server_ssl_context,
)
from relaydesk.errors import EmulatorError

from .helpers_identity import TIMEOUT, serve_app


def _all_bytes(files: CertificateFiles) -> list[bytes]:
    return [
        p.read_bytes() for p in (files.ca_file, files.ca_key_file, files.cert_file, files.key_file)
    ]


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _san(path: Path) -> set[str]:
    ext = _cert(path).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = {str(n) for n in ext.get_values_for_type(x509.DNSName)}
    return names | {str(n) for n in ext.get_values_for_type(x509.IPAddress)}


def test_created_once_and_reused(tmp_path: Path) -> None:
    first = ensure_certificates(tmp_path)
    before = _all_bytes(first)
    second = ensure_certificates(tmp_path)
    assert second == first
    assert _all_bytes(second) == before


def test_private_keys_are_private(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    assert stat.S_IMODE(files.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.ca_key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.ca_file.stat().st_mode) == 0o644


def test_ca_shape(tmp_path: Path) -> None:
    ca = _cert(ensure_certificates(tmp_path).ca_file)
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CA_COMMON_NAME
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    assert ca.not_valid_after_utc - ca.not_valid_before_utc > dt.timedelta(days=3000)


def test_leaf_names_and_issuer(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    leaf, ca = _cert(files.cert_file), _cert(files.ca_file)
    assert {"localhost", "127.0.0.1", "::1"} <= _san(files.cert_file)
    leaf.verify_directly_issued_by(ca)
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_extra_names_reissue_leaf_only(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    ca_before, leaf_before = files.ca_file.read_bytes(), files.cert_file.read_bytes()
    ensure_certificates(tmp_path, extra_names=["relay.lan", "10.1.2.3", "[fe80::1]"])
    assert files.ca_file.read_bytes() == ca_before
    assert files.cert_file.read_bytes() != leaf_before
    assert {"relay.lan", "10.1.2.3", "fe80::1", "localhost"} <= _san(files.cert_file)
    # A subset of names already present: reused as is.
    leaf_now = files.cert_file.read_bytes()
    ensure_certificates(tmp_path, extra_names=["RELAY.lan"])
    assert files.cert_file.read_bytes() == leaf_now


def test_leaf_expiring_soon_is_reissued(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    ca_before, leaf_before = files.ca_file.read_bytes(), files.cert_file.read_bytes()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=340)
    ensure_certificates(tmp_path, now=later)
    assert files.ca_file.read_bytes() == ca_before
    assert files.cert_file.read_bytes() != leaf_before
    assert _cert(files.cert_file).not_valid_after_utc > later + dt.timedelta(days=300)


def test_ca_expiring_soon_is_recreated_with_new_leaf(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    ca_before = files.ca_file.read_bytes()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3640)
    ensure_certificates(tmp_path, now=later)
    assert files.ca_file.read_bytes() != ca_before
    _cert(files.cert_file).verify_directly_issued_by(_cert(files.ca_file))


@pytest.mark.parametrize("victim", ["cert_file", "key_file", "ca_file", "ca_key_file"])
def test_corrupt_file_is_replaced(tmp_path: Path, victim: str) -> None:
    files = ensure_certificates(tmp_path)
    getattr(files, victim).write_bytes(b"garbage")
    ensure_certificates(tmp_path)
    _cert(files.cert_file).verify_directly_issued_by(_cert(files.ca_file))


def test_leaf_from_another_ca_is_reissued(tmp_path: Path) -> None:
    mine = ensure_certificates(tmp_path / "a")
    other = ensure_certificates(tmp_path / "b")
    mine.cert_file.write_bytes(other.cert_file.read_bytes())
    mine.key_file.write_bytes(other.key_file.read_bytes())
    ensure_certificates(tmp_path / "a")
    _cert(mine.cert_file).verify_directly_issued_by(_cert(mine.ca_file))


def test_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(EmulatorError, match="cannot write TLS files"):
        ensure_certificates(blocker / "sub")


def test_server_context_with_missing_files(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="cannot load"):
        server_ssl_context(CertificateFiles.in_dir(tmp_path))


def _ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


async def _hello(_request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def _get(url: str, context: ssl.SSLContext) -> str:
    async with (
        asyncio.timeout(TIMEOUT),
        aiohttp.ClientSession() as session,
        session.get(url, ssl=context) as response,
    ):
        return await response.text()


@pytest.mark.asyncio
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
async def test_serves_tls_trusted_only_through_the_ca(tmp_path: Path, host: str) -> None:
    if host == "::1" and not _ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    files = ensure_certificates(tmp_path)
    app = web.Application()
    app.router.add_get("/", _hello)
    bind = "::1" if host == "::1" else "127.0.0.1"
    async with serve_app(app, files, host=bind) as port:
        url_host = f"[{host}]" if ":" in host else host
        url = f"https://{url_host}:{port}/"
        assert await _get(url, client_ssl_context(files.ca_file)) == "hello"
        # Another CA, or the system trust store, must not accept the leaf.
        stranger = ensure_certificates(tmp_path / "stranger")
        for context in (client_ssl_context(stranger.ca_file), ssl.create_default_context()):
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await _get(url, context)


@pytest.mark.asyncio
async def test_name_not_in_leaf_is_refused(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    app = web.Application()
    app.router.add_get("/", _hello)
    async with serve_app(app, files) as port:
        context = client_ssl_context(files.ca_file)
        async with asyncio.timeout(TIMEOUT), aiohttp.ClientSession() as session:
            # Connect to 127.0.0.1 but check the certificate for another name.
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await session.get(
                    f"https://127.0.0.1:{port}/", ssl=context, server_hostname="relay.example"
                )
