"""Tests for relaydesk.emulator.entra over real HTTPS, and with MSAL (§10, §12)."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import certifi
import jwt
import msal
import pytest
import pytest_asyncio
import requests

from relaydesk.emulator.entra import (
    MIN_TOKEN_LIFETIME,
    RELAY_AUDIENCE,
    EntraService,
    JwtValidator,
    issue_token_for,
    v1_issuer,
)
from relaydesk.emulator.world import load_world
from relaydesk.errors import EmulatorError

from .helpers_identity import TIMEOUT, EntraServer, serve_entra

SCOPE = "https://relay.azure.net/.default"
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DESCRIPTION = re.compile(
    rf"^AADSTS(\d+): .+ \r\nTrace ID: ({GUID})\r\nCorrelation ID: ({GUID})\r\n"
    r"Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$",
    re.DOTALL,
)


@pytest_asyncio.fixture
async def entra(tmp_path: Path) -> AsyncIterator[EntraServer]:
    async with serve_entra(tmp_path) as server:
        yield server


async def _request(
    server: EntraServer,
    method: str,
    path: str,
    *,
    data: dict[str, str] | bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    async with (
        asyncio.timeout(TIMEOUT),
        aiohttp.ClientSession() as session,
        session.request(
            method,
            server.base_url + path,
            data=data,
            headers=headers,
            ssl=server.client_context(),
        ) as response,
    ):
        return response.status, dict(response.headers), await response.json()


def _form(server: EntraServer, identity: str = "sender", **overrides: str | None) -> dict[str, str]:
    ident = server.world.identities[identity]
    form: dict[str, str | None] = {
        "client_id": ident.client_id,
        "client_secret": ident.client_secret,
        "grant_type": "client_credentials",
        "scope": SCOPE,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


# --- discovery and keys ------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("by", ["guid", "GUID", "domain"])
async def test_discovery_document(entra: EntraServer, by: str) -> None:
    tid = entra.world.tenant_id
    tenant = {"guid": tid, "GUID": tid.upper(), "domain": "relaydesk.localhost"}[by]
    status, headers, doc = await _request(
        entra, "GET", f"/{tenant}/v2.0/.well-known/openid-configuration"
    )
    assert status == 200
    base = f"{entra.base_url}/{tid}"
    assert doc["issuer"] == f"{base}/v2.0"
    assert doc["token_endpoint"] == f"{base}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{base}/oauth2/v2.0/authorize"
    assert doc["jwks_uri"] == f"{base}/discovery/v2.0/keys"
    assert "client_secret_post" in doc["token_endpoint_auth_methods_supported"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    for key in ("device_authorization_endpoint", "response_types_supported", "scopes_supported"):
        assert key in doc
    assert headers["Content-Type"].startswith("application/json")


@pytest.mark.asyncio
async def test_jwks_verifies_issued_tokens(entra: EntraServer) -> None:
    status, _, body = await _request(entra, "GET", f"/{entra.world.tenant_id}/discovery/v2.0/keys")
    assert status == 200
    (key,) = body["keys"]
    assert key["kid"] == entra.world.signing_key.kid
    assert (key["kty"], key["use"], key["e"]) == ("RSA", "sig", "AQAB")
    assert "d" not in key and "p" not in key  # public half only
    token = issue_token_for(entra.world, "owner")
    public = jwt.PyJWK(key).key
    claims = jwt.decode(token, public, algorithms=["RS256"], audience=RELAY_AUDIENCE)
    assert claims["oid"] == entra.world.identities["owner"].object_id


# --- token endpoint: success ---------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("scope", [SCOPE, "https://relay.azure.net//.default"])
async def test_client_credentials(entra: EntraServer, scope: str) -> None:
    asked_at = time.time()
    before = int(asked_at)
    form = _form(entra, scope=scope, client_info="1", unknown_field="ignored")
    status, headers, body = await _request(
        entra, "POST", f"/{entra.world.tenant_id}/oauth2/v2.0/token", data=form
    )
    assert status == 200
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == body["ext_expires_in"] == 3600
    assert "no-store" in headers["Cache-Control"]
    token = body["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == entra.world.signing_key.kid
    claims = jwt.decode(token, options={"verify_signature": False})
    ident = entra.world.identities["sender"]
    tid = entra.world.tenant_id
    assert claims["aud"] == RELAY_AUDIENCE
    assert claims["iss"] == f"https://sts.windows.net/{tid}/" == v1_issuer(tid)
    assert claims["tid"] == tid
    assert claims["appid"] == claims["azp"] == ident.client_id
    assert claims["oid"] == claims["sub"] == ident.object_id
    assert (claims["idtyp"], claims["ver"]) == ("app", "1.0")
    assert before <= claims["iat"] == claims["nbf"] <= int(time.time())
    # exp is rounded up: the token lives at least the expires_in it was sold with.
    assert claims["exp"] >= asked_at + 3600 and claims["exp"] - claims["iat"] in (3600, 3601)
    principal = JwtValidator(entra.world).validate(token)
    assert (principal.object_id, principal.app_id) == (ident.object_id, ident.client_id)


@pytest.mark.asyncio
async def test_http_basic_client_auth_and_domain_tenant(entra: EntraServer) -> None:
    ident = entra.world.identities["owner"]
    basic = f"{quote(ident.client_id)}:{quote(ident.client_secret)}"
    headers = {"Authorization": "Basic " + base64.b64encode(basic.encode()).decode()}
    form = {"grant_type": "client_credentials", "scope": SCOPE}
    status, _, body = await _request(
        entra, "POST", "/relaydesk.localhost/oauth2/v2.0/token", data=form, headers=headers
    )
    assert status == 200
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["oid"] == ident.object_id


@pytest.mark.asyncio
async def test_token_lifetime_is_configurable(tmp_path: Path) -> None:
    async with serve_entra(tmp_path, token_lifetime=90) as server:
        status, _, body = await _request(
            server, "POST", f"/{server.world.tenant_id}/oauth2/v2.0/token", data=_form(server)
        )
    assert status == 200 and body["expires_in"] == 90
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] in (90, 91)


@pytest.mark.asyncio
async def test_a_one_second_token_lives_a_second_from_its_issue(tmp_path: Path) -> None:
    """Rounded down, ``exp`` of a 1 s token could fall a moment after issue: the
    relay then closed the listener with 1008 before it could renew (§4.6)."""
    async with serve_entra(tmp_path, token_lifetime=MIN_TOKEN_LIFETIME) as server:
        for _ in range(5):
            asked_at = time.time()
            status, _, body = await _request(
                server, "POST", f"/{server.world.tenant_id}/oauth2/v2.0/token", data=_form(server)
            )
            assert status == 200 and body["expires_in"] == 1
            claims = jwt.decode(body["access_token"], options={"verify_signature": False})
            assert claims["exp"] >= asked_at + body["expires_in"]


@pytest.mark.parametrize("lifetime", [0, 0.5, -1, float("inf"), float("nan")])
def test_token_lifetime_has_a_floor_of_one_second(tmp_path: Path, lifetime: float) -> None:
    """Below 1 s ``expires_in`` would be 0: a token no client can renew in time."""
    with pytest.raises(EmulatorError, match=r">= 1.*renew"):
        EntraService(load_world(tmp_path), token_lifetime=lifetime)


# --- token endpoint: errors -----------------------------------------------------------


def _wrong_secret(s: EntraServer) -> dict[str, str]:
    return _form(s, client_secret="not-the-secret")


def _unknown_client(s: EntraServer) -> dict[str, str]:
    return _form(s, client_id="00000000-0000-0000-0000-000000000000")


ERROR_CASES: list[tuple[str, Any, str, int, str, int]] = [
    # (case id, form builder, tenant, status, error, AADSTS code)
    ("wrong secret", _wrong_secret, "tid", 401, "invalid_client", 7000215),
    ("unknown client", _unknown_client, "tid", 400, "unauthorized_client", 700016),
    (
        "unknown tenant guid",
        _form,
        "9" * 8 + "-0000-0000-0000-" + "0" * 12,
        400,
        "invalid_request",
        90002,
    ),
    ("unknown tenant domain", _form, "contoso.example", 400, "invalid_request", 90002),
    ("malformed tenant", _form, "not_a_tenant!", 400, "invalid_request", 900023),
    ("single-label tenant", _form, "contoso", 400, "invalid_request", 900023),
    ("common tenant", _form, "common", 400, "invalid_request", 90002),
    (
        "graph scope",
        lambda s: _form(s, scope="https://graph.microsoft.com/.default"),
        "tid",
        400,
        "invalid_scope",
        70011,
    ),
    (
        "resource without .default",
        lambda s: _form(s, scope=RELAY_AUDIENCE),
        "tid",
        400,
        "invalid_scope",
        70011,
    ),
    (
        "two scopes",
        lambda s: _form(s, scope=SCOPE + " offline_access"),
        "tid",
        400,
        "invalid_scope",
        70011,
    ),
    ("no grant_type", lambda s: _form(s, grant_type=None), "tid", 400, "invalid_request", 900144),
    ("no client_id", lambda s: _form(s, client_id=None), "tid", 400, "invalid_request", 900144),
    ("no scope", lambda s: _form(s, scope=None), "tid", 400, "invalid_request", 900144),
    (
        "password grant",
        lambda s: _form(s, grant_type="password"),
        "tid",
        400,
        "unsupported_grant_type",
        70003,
    ),
    ("no secret", lambda s: _form(s, client_secret=None), "tid", 401, "invalid_client", 7000216),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("build", "tenant", "status", "error", "code"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
async def test_token_errors(
    entra: EntraServer, build: Any, tenant: str, status: int, error: str, code: int
) -> None:
    tenant = entra.world.tenant_id if tenant == "tid" else tenant
    correlation = "0f0e0d0c-0b0a-4908-8706-050403020100"
    got, headers, body = await _request(
        entra,
        "POST",
        f"/{tenant}/oauth2/v2.0/token",
        data=build(entra),
        headers={"client-request-id": correlation},
    )
    assert (got, body["error"], body["error_codes"]) == (status, error, [code])
    match = DESCRIPTION.match(body["error_description"])
    assert match, body["error_description"]
    assert int(match.group(1)) == code
    assert match.group(2) == body["trace_id"]
    assert match.group(3) == body["correlation_id"] == correlation
    assert body["error_description"].endswith(body["timestamp"])
    assert body["error_uri"] == f"https://login.microsoftonline.com/error?code={code}"
    assert "no-store" in headers["Cache-Control"]
    _assert_no_secrets(entra, str(body))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("tenant", "error", "code"),
    [
        ("11111111-2222-3333-4444-555555555555", "invalid_tenant", 90002),
        ("other.localhost", "invalid_tenant", 90002),
        ("bad_tenant", "invalid_request", 900023),
    ],
)
@pytest.mark.parametrize("path", ["/v2.0/.well-known/openid-configuration", "/discovery/v2.0/keys"])
async def test_discovery_errors(
    entra: EntraServer, tenant: str, error: str, code: int, path: str
) -> None:
    status, _, body = await _request(entra, "GET", f"/{tenant}{path}")
    assert (status, body["error"], body["error_codes"]) == (400, error, [code])
    assert DESCRIPTION.match(body["error_description"])
    assert re.fullmatch(GUID, body["correlation_id"])


@pytest.mark.asyncio
async def test_long_input_is_clipped_in_errors(entra: EntraServer) -> None:
    huge = "x" * 5000
    _, _, body = await _request(
        entra,
        "POST",
        f"/{entra.world.tenant_id}/oauth2/v2.0/token",
        data=_form(entra, client_id=huge),
    )
    assert body["error_codes"] == [700016]
    assert len(body["error_description"]) < 1000


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"not multipart at all", "multipart/form-data; boundary=xyz"),
    ],
)
async def test_undecodable_form_is_a_400_not_a_500(
    entra: EntraServer, body: bytes, content_type: str
) -> None:
    status, _, answer = await _request(
        entra,
        "POST",
        f"/{entra.world.tenant_id}/oauth2/v2.0/token",
        data=body,
        headers={"Content-Type": content_type},
    )
    assert (status, answer["error"], answer["error_codes"]) == (400, "invalid_request", [900144])
    assert "'grant_type'" in answer["error_description"]


def _assert_no_secrets(server: EntraServer, text: str) -> None:
    for ident in server.world.identities.values():
        assert ident.client_secret not in text
    assert "not-the-secret" not in text


@pytest.mark.asyncio
async def test_never_logs_secrets_or_tokens(
    entra: EntraServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = f"/{entra.world.tenant_id}/oauth2/v2.0/token"
    _, _, ok = await _request(entra, "POST", path, data=_form(entra))
    await _request(entra, "POST", path, data=_wrong_secret(entra))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "issued a token" in logged and "7000215" in logged
    _assert_no_secrets(entra, logged)
    assert ok["access_token"] not in logged
    assert ok["access_token"].split(".")[2] not in logged


# --- MSAL (§12) ------------------------------------------------------------------------


@pytest.fixture
def http_client(entra: EntraServer) -> Iterator[requests.Session]:
    """An http_client that trusts the emulator CA whatever the environment says.

    Closed before the emulator stops: a kept-alive TLS connection left open
    would keep the server's transport waiting for a close_notify that never
    comes (an unclosed transport when the loop closes).
    """
    with requests.Session() as session:
        session.trust_env = False
        session.verify = str(entra.ca_file)
        yield session


def _msal_app(
    server: EntraServer,
    http_client: requests.Session,
    identity: str = "sender",
    *,
    secret: str | None = None,
    client_id: str | None = None,
    tenant: str | None = None,
) -> msal.ConfidentialClientApplication:
    ident = server.world.identities[identity]
    return msal.ConfidentialClientApplication(
        client_id or ident.client_id,
        client_credential=secret or ident.client_secret,
        authority=server.authority(tenant),
        instance_discovery=False,
        http_client=http_client,
    )


@pytest.fixture
def ci_ca_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI machines export these (platform notes); they override verify=."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,::1")


@pytest.mark.asyncio
@pytest.mark.usefixtures("ci_ca_environment")
async def test_msal_success_then_cache(entra: EntraServer, http_client: requests.Session) -> None:
    async with asyncio.timeout(TIMEOUT):
        app = await asyncio.to_thread(_msal_app, entra, http_client)
        first = await asyncio.to_thread(app.acquire_token_for_client, [SCOPE])
        second = await asyncio.to_thread(app.acquire_token_for_client, [SCOPE])
    assert first["token_source"] == "identity_provider", first.get("error_description")
    assert second["token_source"] == "cache"
    assert second["access_token"] == first["access_token"]
    assert 3500 <= int(first["expires_in"]) <= 3600
    principal = JwtValidator(entra.world).validate(first["access_token"])
    assert principal.object_id == entra.world.identities["sender"].object_id


@pytest.mark.asyncio
@pytest.mark.usefixtures("ci_ca_environment")
async def test_msal_domain_authority_and_double_slash_scope(
    entra: EntraServer, http_client: requests.Session
) -> None:
    async with asyncio.timeout(TIMEOUT):
        app = await asyncio.to_thread(
            _msal_app, entra, http_client, "owner", tenant="relaydesk.localhost"
        )
        result = await asyncio.to_thread(
            app.acquire_token_for_client, ["https://relay.azure.net//.default"]
        )
    assert "access_token" in result, result.get("error_description")


@pytest.mark.asyncio
@pytest.mark.usefixtures("ci_ca_environment")
async def test_msal_wrong_secret(entra: EntraServer, http_client: requests.Session) -> None:
    async with asyncio.timeout(TIMEOUT):
        app = await asyncio.to_thread(_msal_app, entra, http_client, secret="wrong-secret")
        result = await asyncio.to_thread(app.acquire_token_for_client, [SCOPE])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert "AADSTS7000215" in result["error_description"]
    assert "access_token" not in result


@pytest.mark.asyncio
@pytest.mark.usefixtures("ci_ca_environment")
async def test_msal_unknown_client(entra: EntraServer, http_client: requests.Session) -> None:
    async with asyncio.timeout(TIMEOUT):
        app = await asyncio.to_thread(
            _msal_app, entra, http_client, client_id="12345678-1234-1234-1234-123456789abc"
        )
        result = await asyncio.to_thread(app.acquire_token_for_client, [SCOPE])
    assert result["error"] == "unauthorized_client"
    assert result["error_codes"] == [700016]


@pytest.mark.asyncio
@pytest.mark.usefixtures("ci_ca_environment")
async def test_msal_unknown_tenant_fails_at_construction(
    entra: EntraServer, http_client: requests.Session
) -> None:
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(ValueError) as info:
            await asyncio.to_thread(
                _msal_app, entra, http_client, tenant="99999999-9999-9999-9999-999999999999"
            )
    chain = f"{info.value} {info.value.__cause__} {info.value.__context__}"
    assert "90002" in chain


@pytest.mark.asyncio
@pytest.mark.usefixtures("ci_ca_environment")
async def test_msal_verify_alone_loses_to_the_environment(entra: EntraServer) -> None:
    """Why the http_client is needed: with the CI variables set, verify= is ignored."""
    ident = entra.world.identities["sender"]

    def build() -> object:
        return msal.ConfidentialClientApplication(
            ident.client_id,
            client_credential=ident.client_secret,
            authority=entra.authority(),
            instance_discovery=False,
            verify=str(entra.ca_file),
        )

    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(requests.exceptions.SSLError):
            await asyncio.to_thread(build)


def test_token_names_still_import_from_entra() -> None:
    """Everything importable from entra.py before the split still is, as the same object."""
    from relaydesk.emulator import entra, jwt_tokens

    names = "ACCEPTED_AUDIENCES RELAY_AUDIENCE JwtPrincipal JwtValidator issue_token_for v1_issuer"
    for name in names.split():
        assert getattr(entra, name) is getattr(jwt_tokens, name), name
        assert name in entra.__all__
    assert {"ACCEPTED_SCOPES", "EntraService"} <= set(entra.__all__)
