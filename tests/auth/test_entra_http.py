"""Trust and proxies for the authority client (platform notes; §12 item 6)."""

from __future__ import annotations

import gc
from pathlib import Path

import certifi
import pytest

from relaydesk.auth.entra_http import CaBundle, base_ca_bundle, proxies_for
from relaydesk.errors import InvalidField

PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def _pem(tmp_path: Path, name: str = "extra.pem", text: str = PEM) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="ascii")
    return path


def test_base_bundle_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _pem(tmp_path, "env.pem")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert base_ca_bundle() == str(bundle)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv("CURL_CA_BUNDLE", str(bundle))
    assert base_ca_bundle() == str(bundle)
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tmp_path / "missing.pem"))
    assert base_ca_bundle() == certifi.where()


def test_extra_ca_is_added_to_the_base_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _pem(tmp_path, "base.pem", PEM.replace("fake", "base"))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(base))
    bundle = CaBundle(_pem(tmp_path))
    combined = Path(bundle.path)
    text = combined.read_text()
    assert "MIIBbase" in text and "MIIBfake" in text
    bundle.close()
    assert not combined.exists()
    bundle.close()  # idempotent


def test_combined_bundle_is_removed_when_garbage_collected(tmp_path: Path) -> None:
    bundle = CaBundle(_pem(tmp_path))
    combined = Path(bundle.path)
    assert combined.exists()
    del bundle
    gc.collect()
    assert not combined.exists()


def test_ca_only_and_no_extra(tmp_path: Path) -> None:
    extra = _pem(tmp_path)
    assert CaBundle(extra, trust_system_cas=False).path == str(extra)
    assert CaBundle(None).path == base_ca_bundle()


def test_unreadable_or_non_pem_ca_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidField) as missing:
        CaBundle(tmp_path / "missing.pem")
    assert missing.value.field == "ca_file"
    with pytest.raises(InvalidField):
        CaBundle(_pem(tmp_path, "junk.pem", "not a certificate"))


def test_proxies_honour_no_proxy_including_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", "http://proxy.invalid:3128")
    monkeypatch.setenv("no_proxy", "internal.example")
    assert (
        proxies_for("https://login.microsoftonline.com/t")["https"] == "http://proxy.invalid:3128"
    )
    assert proxies_for("https://sts.internal.example/t") == {}
    # Loopback has no exception of its own (curl and requests agree): NO_PROXY decides.
    assert proxies_for("https://127.0.0.1:8443/t")["https"] == "http://proxy.invalid:3128"
    monkeypatch.setenv("no_proxy", "internal.example,127.0.0.1,::1,localhost")
    for url in ("https://127.0.0.1:8443/t", "https://[::1]:8443/t", "https://localhost:1/t"):
        assert proxies_for(url) == {}
