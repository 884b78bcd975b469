"""EntraTokenProvider against the emulator's real Entra endpoint over TLS (§10.6, §12).

Every test runs with REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE pointing at the
system bundle, as on CI machines: they would override MSAL's ``verify=``
(platform notes), so passing here proves the provider's own trust handling.
"""

from __future__ import annotations

import logging
import socket
import ssl
from pathlib import Path

import pytest

from relaydesk.auth.entra_errors import AADSTS_REMEDIES
from relaydesk.auth.entra_provider import EntraTokenProvider
from relaydesk.auth.provider import TokenProvider
from relaydesk.errors import (
    AuthError,
    AuthNetworkError,
    EntraError,
    InvalidField,
    TokenNotRenewable,
)
from relaydesk.secrets import Secret

from .conftest import EntraSetup

UNKNOWN_GUID = "0badf00d-0000-4000-8000-000000000000"


@pytest.fixture(autouse=True)
def ci_ca_bundle_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """Set the CA-bundle variables CI machines export (to the system bundle)."""
    system = ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
    assert Path(system).is_file(), "no system CA bundle on this machine"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", system)
    monkeypatch.setenv("CURL_CA_BUNDLE", system)
    return system


def _provider(
    entra: EntraSetup,
    identity: str = "listener",
    *,
    secret: str | None = None,
    tenant: str | None = None,
    client_id: str | None = None,
    **kwargs: object,
) -> EntraTokenProvider:
    known_id, known_secret = entra.identity(identity)
    options: dict[str, object] = {"authority_host": entra.authority_host, "ca_file": entra.ca_file}
    options.update(kwargs)
    return EntraTokenProvider(
        tenant or entra.tenant_id,
        client_id or known_id,
        Secret(known_secret if secret is None else secret),
        **options,  # type: ignore[arg-type]
    )


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _assert_secret_absent(
    secret: str, exc: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    assert caplog.records, "expected MSAL/urllib3 debug records to inspect"
    texts = [str(exc), repr(exc), getattr(exc, "remedy", ""), caplog.text]
    texts += [record.getMessage() for record in caplog.records]
    assert all(secret not in text for text in texts)


@pytest.mark.asyncio
async def test_token_then_cache_hit(entra: EntraSetup) -> None:
    provider = _provider(entra)
    assert isinstance(provider, TokenProvider)
    client_id, _ = entra.identity("listener")
    try:
        first = await provider.get_token()
        assert first.kind == "entra" and first.identity == client_id
        assert not first.from_cache
        assert first.claims["aud"] == "https://relay.azure.net"
        assert first.claims["tid"] == entra.tenant_id
        assert client_id in (first.claims.get("appid"), first.claims.get("azp"))
        second = await provider.get_token()
        assert second.from_cache
        assert second.value == first.value and second.expires_at == first.expires_at
        assert second.info().from_cache
    finally:
        provider.close()


@pytest.mark.asyncio
async def test_emulator_ca_alone_also_works(entra: EntraSetup) -> None:
    provider = _provider(entra, trust_system_cas=False)
    try:
        assert (await provider.get_token()).value
    finally:
        provider.close()


@pytest.mark.asyncio
async def test_renewal_bypasses_the_cache(entra: EntraSetup) -> None:
    provider = _provider(entra)
    try:
        first = await provider.get_token()
        # The cached token cannot be valid for longer than the emulator's lifetime
        # (3600 s), so the provider drops the cache and fetches a new one.
        longer = await provider.get_token(min_valid_for=4000)
        assert not longer.from_cache and longer.value != first.value
        later = await provider.get_token(expires_after=longer.expires_at)
        assert not later.from_cache and later.expires_at > longer.expires_at
        # Nothing the authority issues can expire a day from now: a clear answer.
        with pytest.raises(TokenNotRenewable) as info:
            await provider.get_token(expires_after=later.expires_at + 86_400)
        assert info.value.retry_after is not None
        assert info.value.expires_at is not None
        await provider.drop_cached_tokens()
        assert not (await provider.get_token()).from_cache
    finally:
        provider.close()


@pytest.mark.asyncio
async def test_wrong_secret_is_7000215_with_remedy(
    entra: EntraSetup, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "definitely-wrong-secret-value-7c1f"
    caplog.set_level(logging.DEBUG)
    provider = _provider(entra, secret=secret)
    try:
        with pytest.raises(EntraError) as info:
            await provider.get_token()
    finally:
        provider.close()
    error = info.value
    assert error.aadsts_code == 7000215
    assert error.error == "invalid_client"
    assert error.remedy == AADSTS_REMEDIES[7000215]
    assert "Value, not its ID" in error.remedy
    assert error.http_status == 401
    assert error.trace_id and error.correlation_id
    assert str(error).startswith("AADSTS7000215: ")
    _assert_secret_absent(secret, error, caplog)


@pytest.mark.asyncio
async def test_unknown_client_is_700016(
    entra: EntraSetup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, secret = entra.identity("listener")
    provider = _provider(entra, client_id=UNKNOWN_GUID)
    try:
        with pytest.raises(EntraError) as info:
            await provider.get_token()
    finally:
        provider.close()
    assert info.value.aadsts_code == 700016
    assert info.value.remedy == AADSTS_REMEDIES[700016]
    _assert_secret_absent(secret, info.value, caplog)


@pytest.mark.asyncio
async def test_unknown_tenant_is_90002(entra: EntraSetup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _, secret = entra.identity("listener")
    provider = _provider(entra, tenant=UNKNOWN_GUID)
    try:
        with pytest.raises(EntraError) as info:
            await provider.get_token()
        # The failed discovery is not remembered as a half-built app: same answer again.
        with pytest.raises(EntraError) as again:
            await provider.get_token()
    finally:
        provider.close()
    assert info.value.aadsts_code == 90002 == again.value.aadsts_code
    assert info.value.remedy == AADSTS_REMEDIES[90002]
    _assert_secret_absent(secret, info.value, caplog)


@pytest.mark.asyncio
async def test_unreachable_authority_is_a_network_error(
    entra: EntraSetup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, secret = entra.identity("listener")
    provider = _provider(entra, authority_host=f"https://127.0.0.1:{_closed_port()}", timeout=10)
    try:
        with pytest.raises(AuthNetworkError) as info:
            await provider.get_token()
    finally:
        provider.close()
    assert "Cannot reach the authority" in str(info.value)
    assert "authority host" in info.value.remedy
    _assert_secret_absent(secret, info.value, caplog)


@pytest.mark.asyncio
async def test_untrusted_certificate_is_a_tls_network_error(entra: EntraSetup) -> None:
    provider = _provider(entra, ca_file=None)  # system CAs only: the emulator CA is unknown
    try:
        with pytest.raises(AuthNetworkError) as info:
            await provider.get_token()
    finally:
        provider.close()
    assert "TLS" in str(info.value)
    assert "CA" in info.value.remedy


@pytest.mark.asyncio
async def test_no_proxy_exempts_the_local_authority_from_https_proxy(
    entra: EntraSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dead proxy from the environment is skipped for hosts NO_PROXY names."""
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv("no_proxy", raising=False)
    provider = _provider(entra)
    try:
        assert (await provider.get_token()).value
    finally:
        provider.close()


def test_constructor_checks_its_inputs(tmp_path: Path) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"tenant_id": ""}, "tenant_id"),
        ({"client_id": " "}, "client_id"),
        ({"client_secret": Secret("")}, "client_secret"),
        ({"cloud": "mars"}, "cloud"),
        ({"authority_host": "http://login.example"}, "authority_host"),
        ({"ca_file": tmp_path / "missing.pem"}, "ca_file"),
    ]
    for override, field in cases:
        args: dict[str, object] = {
            "tenant_id": UNKNOWN_GUID,
            "client_id": UNKNOWN_GUID,
            "client_secret": Secret("x"),
            **override,
        }
        with pytest.raises(InvalidField) as info:
            EntraTokenProvider(**args)  # type: ignore[arg-type]
        assert info.value.field == field


def test_describe_and_repr_never_show_the_secret() -> None:
    provider = EntraTokenProvider(UNKNOWN_GUID, UNKNOWN_GUID, Secret("hidden-secret-value"))
    try:
        assert "hidden-secret-value" not in repr(provider) + provider.describe()
        assert provider.scope == "https://relay.azure.net/.default"
        assert provider.authority == f"https://login.microsoftonline.com/{UNKNOWN_GUID}"
    finally:
        provider.close()


def test_china_cloud_defaults() -> None:
    provider = EntraTokenProvider(
        "contoso.partner.onmschina.cn", UNKNOWN_GUID, Secret("x"), cloud="china"
    )
    try:
        assert provider.scope == "https://relay.chinacloudapi.cn/.default"
        assert provider.authority.startswith("https://login.chinacloudapi.cn/")
    finally:
        provider.close()


def test_auth_errors_share_a_base() -> None:
    assert issubclass(EntraError, AuthError) and issubclass(AuthNetworkError, AuthError)
