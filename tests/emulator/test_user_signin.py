"""relaydesk.emulator.user_signin over real HTTPS: auth code + PKCE, device code, refresh."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
import pytest_asyncio

from relaydesk.emulator.authz import Authorizer
from relaydesk.emulator.entra import JwtValidator
from relaydesk.emulator.user_signin import DEVICE_CODE_GRANT
from relaydesk.emulator.world import Right
from relaydesk.errors import TokenRejected
from relaydesk.protocol.clouds import PUBLIC_CLIENT_ID

from .helpers_identity import TIMEOUT, EntraServer, serve_entra

SCOPE = "https://relay.azure.net/.default offline_access openid profile"
REDIRECT = "http://localhost:8400"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture
async def entra(tmp_path: Path, clock: Clock) -> AsyncIterator[EntraServer]:
    async with serve_entra(tmp_path, now=clock) as server:
        yield server


async def _post(
    server: EntraServer, url: str, data: dict[str, str], *, redirects: bool = True
) -> tuple[int, dict[str, str], str]:
    async with (
        asyncio.timeout(TIMEOUT),
        aiohttp.ClientSession() as session,
        session.post(
            url, data=data, ssl=server.client_context(), allow_redirects=redirects
        ) as response,
    ):
        return response.status, dict(response.headers), await response.text()


async def _token(server: EntraServer, **form: str) -> tuple[int, dict[str, Any]]:
    async with (
        asyncio.timeout(TIMEOUT),
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.authority()}/oauth2/v2.0/token", data=form, ssl=server.client_context()
        ) as response,
    ):
        return response.status, await response.json()


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(40)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def _authorization_code(server: EntraServer, user: str, challenge: str) -> str:
    query = urlencode(
        {
            "client_id": PUBLIC_CLIENT_ID,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": SCOPE,
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    account = server.world.users[user]
    url = f"{server.authority()}/oauth2/v2.0/authorize"
    wrong = {"q": query, "login": account.upn, "passwd": "wrong"}
    status, _, page = await _post(server, url, wrong)
    assert status == 200 and "incorrect" in page
    form = {"q": query, "login": account.upn, "passwd": account.password}
    status, headers, _ = await _post(server, url, form, redirects=False)
    assert status == 302
    location = urlsplit(headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == REDIRECT
    values = parse_qs(location.query)
    assert values["state"] == ["s1"]
    return values["code"][0]


@pytest.mark.asyncio
async def test_authorization_code_needs_the_pkce_verifier_and_is_used_once(
    entra: EntraServer,
) -> None:
    verifier, challenge = _pkce()
    code = await _authorization_code(entra, "listener-user", challenge)
    base = {
        "grant_type": "authorization_code",
        "client_id": PUBLIC_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": SCOPE,
        "code": code,
    }
    status, body = await _token(entra, **base, code_verifier="not-the-verifier")
    assert (status, body["error"], body["error_codes"]) == (400, "invalid_grant", [501481])

    code = await _authorization_code(entra, "listener-user", challenge)
    status, body = await _token(entra, **{**base, "code": code}, code_verifier=verifier)
    assert status == 200, body
    assert {"access_token", "refresh_token", "id_token", "client_info"} <= set(body)
    principal = JwtValidator(entra.world, now=lambda: 1_800_000_000.0).validate(
        body["access_token"]
    )
    assert principal.is_user
    assert principal.object_id == entra.world.users["listener-user"].object_id

    status, body = await _token(entra, **{**base, "code": code}, code_verifier=verifier)
    assert (status, body["error"]) == (400, "invalid_grant")  # one use only


@pytest.mark.asyncio
async def test_user_tokens_go_through_the_same_role_check(entra: EntraServer, clock: Clock) -> None:
    verifier, challenge = _pkce()
    tokens = {}
    for user in ("listener-user", "no-role-user"):
        code = await _authorization_code(entra, user, challenge)
        status, body = await _token(
            entra,
            grant_type="authorization_code",
            client_id=PUBLIC_CLIENT_ID,
            redirect_uri=REDIRECT,
            scope=SCOPE,
            code=code,
            code_verifier=verifier,
        )
        assert status == 200
        tokens[user] = body["access_token"]
    authz = Authorizer(
        entra.world,
        namespace_host_check=lambda host: True,
        jwt_validator=JwtValidator(entra.world, now=clock),
        now=clock,
    )
    principal = authz.authorize(tokens["listener-user"], "demo", Right.LISTEN)
    assert principal.name == entra.world.users["listener-user"].upn
    with pytest.raises(TokenRejected) as send:
        authz.authorize(tokens["listener-user"], "demo", Right.SEND)
    with pytest.raises(TokenRejected) as nobody:
        authz.authorize(tokens["no-role-user"], "demo", Right.LISTEN)
    assert send.value.status == nobody.value.status == 403
    entra.world.grant_role("no-role-user", "Azure Relay Listener", "/demo")
    assert authz.authorize(tokens["no-role-user"], "demo", Right.LISTEN)


async def _device_code(entra: EntraServer) -> dict[str, Any]:
    status, _, text = await _post(
        entra,
        f"{entra.authority()}/oauth2/v2.0/devicecode",
        {"client_id": PUBLIC_CLIENT_ID, "scope": SCOPE},
    )
    assert status == 200
    flow: dict[str, Any] = json.loads(text)
    assert flow["verification_uri"] == f"{entra.base_url}/devicelogin"
    return flow


async def _poll(entra: EntraServer, flow: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return await _token(
        entra,
        grant_type=DEVICE_CODE_GRANT,
        client_id=PUBLIC_CLIENT_ID,
        device_code=flow["device_code"],
    )


@pytest.mark.asyncio
async def test_device_code_pending_slow_down_approved(entra: EntraServer, clock: Clock) -> None:
    flow = await _device_code(entra)
    status, body = await _poll(entra, flow)
    assert (status, body["error"]) == (400, "authorization_pending")
    status, body = await _poll(entra, flow)
    assert (status, body["error"]) == (400, "slow_down")  # polled before the interval

    page = f"{entra.base_url}/devicelogin"
    status, _, text = await _post(entra, page, {"otc": "WRONGCODE"})
    assert "Check the code and try again" in text
    status, _, text = await _post(entra, page, {"otc": flow["user_code"]})
    assert "id='login'" in text
    user = entra.world.users["sender-user"]
    fields = {"otc": flow["user_code"], "login": user.upn, "passwd": user.password}
    status, _, text = await _post(entra, page, fields)
    assert status == 200 and "signed in as" in text

    clock.now += flow["interval"]
    status, body = await _poll(entra, flow)
    assert status == 200 and body["refresh_token"]
    status, body = await _poll(entra, flow)
    assert (status, body["error"]) == (400, "expired_token")  # used up


@pytest.mark.asyncio
async def test_device_code_expires_and_can_be_declined(entra: EntraServer, clock: Clock) -> None:
    late = await _device_code(entra)
    declined = await _device_code(entra)
    status, _, _ = await _post(
        entra, f"{entra.base_url}/devicelogin", {"otc": declined["user_code"], "cancel": "1"}
    )
    assert status == 200
    status, body = await _poll(entra, declined)
    assert (status, body["error"]) == (400, "access_denied")
    clock.now += late["expires_in"] + 1
    status, body = await _poll(entra, late)
    assert (status, body["error"]) == (400, "expired_token")


@pytest.mark.asyncio
async def test_refresh_tokens_renew_until_the_fault_requires_sign_in_again(
    entra: EntraServer,
) -> None:
    verifier, challenge = _pkce()
    code = await _authorization_code(entra, "sender-user", challenge)
    _, body = await _token(
        entra,
        grant_type="authorization_code",
        client_id=PUBLIC_CLIENT_ID,
        redirect_uri=REDIRECT,
        scope=SCOPE,
        code=code,
        code_verifier=verifier,
    )
    refresh = {"grant_type": "refresh_token", "client_id": PUBLIC_CLIENT_ID, "scope": SCOPE}
    status, renewed = await _token(entra, **refresh, refresh_token=body["refresh_token"])
    assert status == 200 and renewed["access_token"]
    assert entra.service.users.require_sign_in_again() == 1
    status, body = await _token(entra, **refresh, refresh_token=renewed["refresh_token"])
    assert (status, body["error"], body["error_codes"]) == (400, "invalid_grant", [50078])


REFUSING_WORLD = """
[[hybrid_connections]]
name = "demo"

[[identities]]
name = "unconsented-app"
user_consent = ["consenting-user"]

[[users]]
name = "member-user"

[[users]]
name = "consenting-user"

[[users]]
name = "guest-user"
home_tenant = "fabrikam.example"
"""


@pytest_asyncio.fixture
async def refusing(tmp_path: Path, clock: Clock) -> AsyncIterator[EntraServer]:
    config = tmp_path / "world.toml"
    config.write_text(REFUSING_WORLD)
    async with serve_entra(tmp_path / "data", config_file=config, now=clock) as server:
        yield server


async def _browser_answer(server: EntraServer, user: str, client_id: str) -> dict[str, list[str]]:
    """Sign in on the authorize page; the values redirected to the loopback URI."""
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": SCOPE,
            "state": "s1",
            "code_challenge": _pkce()[1],
            "code_challenge_method": "S256",
        }
    )
    account = server.world.users[user]
    form = {"q": query, "login": account.upn, "passwd": account.password}
    url = f"{server.authority()}/oauth2/v2.0/authorize"
    status, headers, _ = await _post(server, url, form, redirects=False)
    assert status == 302
    return parse_qs(urlsplit(headers["Location"]).query)


@pytest.mark.asyncio
async def test_browser_refusals_after_the_password_are_redirected(refusing: EntraServer) -> None:
    app = refusing.world.identities["unconsented-app"].client_id
    values = await _browser_answer(refusing, "member-user", app)
    assert values["error"] == ["consent_required"] and "code" not in values
    assert values["error_description"][0].startswith("AADSTS65001: ")
    assert "code" in await _browser_answer(refusing, "consenting-user", app)
    assert "code" in await _browser_answer(refusing, "member-user", PUBLIC_CLIENT_ID)

    values = await _browser_answer(refusing, "guest-user", PUBLIC_CLIENT_ID)
    assert values["error"] == ["invalid_request"] and "code" not in values
    description = values["error_description"][0]
    assert description.startswith("AADSTS50020: ") and "fabrikam.example" in description


@pytest.mark.asyncio
async def test_device_refusals_show_on_the_page_and_answer_the_next_poll(
    refusing: EntraServer,
) -> None:
    app = refusing.world.identities["unconsented-app"].client_id
    for user, client_id, code, error in [
        ("guest-user", PUBLIC_CLIENT_ID, 50020, "invalid_request"),
        ("member-user", app, 65001, "invalid_grant"),
    ]:
        status, _, text = await _post(
            refusing,
            f"{refusing.authority()}/oauth2/v2.0/devicecode",
            {"client_id": client_id, "scope": SCOPE},
        )
        flow = json.loads(text)
        account = refusing.world.users[user]
        fields = {"otc": flow["user_code"], "login": account.upn, "passwd": account.password}
        status, _, page = await _post(refusing, flow["verification_uri"], fields)
        assert status == 200 and f"AADSTS{code}" in page and "signed in as" not in page
        status, body = await _token(
            refusing,
            grant_type=DEVICE_CODE_GRANT,
            client_id=client_id,
            device_code=flow["device_code"],
        )
        assert (status, body["error"], body["error_codes"]) == (400, error, [code])
        assert body.get("suberror") == ("consent_required" if code == 65001 else None)
