"""Local CA and server certificate of the emulator, created once per data dir.

MSAL refuses ``http`` authorities (§12.1) and Hybrid Connections are TLS-only
(§1), so the emulator serves TLS with a leaf certificate issued by its own
local CA (§13). Clients trust only the CA file (``ca.pem``); the private keys
are written with mode 0600 and never leave the data directory.

Files in the data directory:

* ``ca.pem`` / ``ca-key.pem``: the CA ("RelayDesk Emulator Local CA", EC
  P-256, 10 years, ``basicConstraints CA:TRUE``, critical).
* ``server.pem`` / ``server-key.pem``: the leaf, for DNS ``localhost`` and IPs
  ``127.0.0.1`` and ``::1`` plus any extra names (non-loopback binds),
  ``serverAuth``, 1 year.

Later starts reuse both. The leaf is re-issued when it expires within 30
days, lacks a requested name, or was not issued by the current CA; the CA is
re-created only when it is missing, unreadable or expires within 30 days
(then every client must trust the new ``ca.pem``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from relaydesk.atomic_files import write_atomically
from relaydesk.errors import EmulatorError

__all__ = [
    "CA_COMMON_NAME",
    "DEFAULT_NAMES",
    "CertificateFiles",
    "client_ssl_context",
    "ensure_certificates",
    "server_ssl_context",
]

CA_COMMON_NAME = "RelayDesk Emulator Local CA"
DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")

_CA_DAYS = 3650
_LEAF_DAYS = 365
_RENEW_BEFORE = dt.timedelta(days=30)

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class CertificateFiles:
    """Paths of the emulator's TLS material.

    Attributes:
        ca_file: the CA certificate clients trust (PEM).
        ca_key_file: the CA private key (0600).
        cert_file: the server certificate (PEM).
        key_file: the server private key (0600).
    """

    ca_file: Path
    ca_key_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def in_dir(cls, data_dir: Path) -> CertificateFiles:
        """The standard file names inside ``data_dir``."""
        return cls(
            data_dir / "ca.pem",
            data_dir / "ca-key.pem",
            data_dir / "server.pem",
            data_dir / "server-key.pem",
        )


def ensure_certificates(
    data_dir: Path,
    *,
    extra_names: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> CertificateFiles:
    """Create the CA and leaf in ``data_dir`` if needed; reuse them otherwise.

    Args:
        data_dir: the emulator's data directory (created if missing).
        extra_names: more DNS names or IP addresses for the leaf (for a
            non-loopback bind).
        now: the current time (tests); defaults to the wall clock.

    Raises:
        EmulatorError: the directory or files cannot be written.
    """
    now = now or dt.datetime.now(dt.UTC)
    files = CertificateFiles.in_dir(data_dir)
    names = _unique([*DEFAULT_NAMES, *(n.strip() for n in extra_names if n.strip())])
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        ca_cert, ca_key = _load_ca(files, now)
        if ca_cert is None or ca_key is None:
            ca_cert, ca_key = _create_ca(files, now)
        if not _leaf_usable(files, ca_cert, names, now):
            _create_leaf(files, ca_cert, ca_key, names, now)
    except OSError as exc:
        raise EmulatorError(f"{data_dir}: cannot write TLS files: {exc.strerror}") from exc
    return files


def server_ssl_context(files: CertificateFiles) -> ssl.SSLContext:
    """A TLS server context with the leaf (and CA chain) of ``files``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(files.cert_file, files.key_file)
    except (OSError, ssl.SSLError) as exc:
        raise EmulatorError(f"{files.cert_file}: cannot load the server certificate") from exc
    return context


def client_ssl_context(ca_file: Path) -> ssl.SSLContext:
    """A TLS client context that trusts only ``ca_file`` (hostname checked)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    return context


# --- CA --------------------------------------------------------------------------


def _load_ca(
    files: CertificateFiles, now: dt.datetime
) -> tuple[x509.Certificate | None, ec.EllipticCurvePrivateKey | None]:
    try:
        cert = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
        key = serialization.load_pem_private_key(files.ca_key_file.read_bytes(), None)
    except (OSError, ValueError, TypeError):
        return None, None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None, None
    if cert.public_key() != key.public_key():
        return None, None
    if cert.not_valid_after_utc - _RENEW_BEFORE <= now:
        return None, None
    return cert, key


def _create_ca(
    files: CertificateFiles, now: dt.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "RelayDesk"),
        ]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(files.ca_key_file, _key_pem(key), private=True)
    _write(files.ca_file, cert.public_bytes(serialization.Encoding.PEM), private=False)
    return cert, key


# --- leaf ------------------------------------------------------------------------


def _leaf_usable(
    files: CertificateFiles, ca_cert: x509.Certificate, names: list[str], now: dt.datetime
) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
        key = serialization.load_pem_private_key(files.key_file.read_bytes(), None)
    except (OSError, ValueError, TypeError):
        return False
    if not isinstance(key, ec.EllipticCurvePrivateKey) or cert.public_key() != key.public_key():
        return False
    if cert.not_valid_after_utc - _RENEW_BEFORE <= now:
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    present = {str(v).lower() for v in san.get_values_for_type(x509.DNSName)}
    present |= {str(v) for v in san.get_values_for_type(x509.IPAddress)}
    return all(_canonical(n) in present for n in names)


def _create_leaf(
    files: CertificateFiles,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    names: list[str],
    now: dt.datetime,
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=_LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(_general_names(names)), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(files.key_file, _key_pem(key), private=True)
    _write(files.cert_file, cert.public_bytes(serialization.Encoding.PEM), private=False)


def _general_names(names: list[str]) -> list[x509.GeneralName]:
    result: list[x509.GeneralName] = []
    for name in names:
        address = _ip(name)
        if address is not None:
            result.append(x509.IPAddress(address))
        else:
            result.append(x509.DNSName(name.lower()))
    return result


def _ip(name: str) -> _IPAddress | None:
    try:
        return ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return None


def _canonical(name: str) -> str:
    address = _ip(name)
    return str(address) if address is not None else name.lower()


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(_canonical(name), name)
    return list(seen.values())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Write atomically; private files get mode 0600 from the start."""
    write_atomically(path, data, mode=0o600 if private else 0o644)
