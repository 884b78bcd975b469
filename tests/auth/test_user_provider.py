"""relaydesk.auth.user_provider against the emulator: device code, silent renewal, sign-in again."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import urlopen

import aiohttp
import msal
import pytest
import pytest_asyncio

from relaydesk.auth.user_cache import UserTokenCache
from relaydesk.auth.user_provider import DeviceCodePrompt, SignInProgress, UserTokenProvider
from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.emulator.certs import client_ssl_context
from relaydesk.errors import DeviceCodeExpired, RelayDeskError, SignInCancelled, SignInRequired
from relaydesk.remedies import remedy_for

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[Emulator]:
    options = EmulatorOptions(data_dir=tmp_path / "emulator", device_code_interval=1)
    async with Emulator(options) as emu:
        yield emu


def _memory_cache() -> UserTokenCache:
    return UserTokenCache(msal.SerializableTokenCache(), False, "in memory for this test")


def _provider(emu: Emulator, cache: UserTokenCache, **kwargs: Any) -> UserTokenProvider:
    return UserTokenProvider(
        emu.tenant_id,
        "device_code",
        cache,
        authority_host=emu.authority.rsplit("/", 1)[0],
        ca_file=emu.ca_file,
        **kwargs,
    )


async def _enter(emu: Emulator, prompt: DeviceCodePrompt, user: str, *, cancel: bool) -> None:
    account = emu.world.users[user]
    fields = {"otc": prompt.user_code}
    fields |= {"cancel": "1"} if cancel else {"login": account.upn, "passwd": account.password}
    context = client_ssl_context(Path(emu.ca_file))
    async with aiohttp.ClientSession() as http:
        for form in ({"otc": prompt.user_code}, fields):
            async with http.post(prompt.verification_uri, data=form, ssl=context) as response:
                assert response.status == 200


def _person(emu: Emulator, user: str, *, cancel: bool = False) -> tuple[list[Any], Any]:
    """An ``on_device_code`` that enters the code on the page, as a person would."""
    tasks: list[Any] = []

    def on_device_code(prompt: DeviceCodePrompt) -> None:
        tasks.append(asyncio.ensure_future(_enter(emu, prompt, user, cancel=cancel)))

    return tasks, on_device_code


@pytest.mark.asyncio
async def test_device_code_then_silent_then_sign_in_again(emulator: Emulator) -> None:
    cache = _memory_cache()
    tasks, on_device_code = _person(emulator, "listener-user")
    provider = _provider(emulator, cache, on_device_code=on_device_code)
    try:
        token = await provider.get_token()
        await asyncio.gather(*tasks)
        assert token.identity == emulator.world.users["listener-user"].upn
        assert token.claims["scp"] == "user_impersonation" and not token.from_cache
    finally:
        provider.close()

    silent = _provider(emulator, cache, interactive=False)  # the same cache, no person
    try:
        again = await silent.get_token()
        assert again.from_cache and again.identity == token.identity
        renewed = await silent.get_token(min_valid_for=7200)  # beyond the token: refresh
        assert renewed.value != token.value and not renewed.from_cache
        assert await emulator.faults.require_sign_in_again() == 1
        with pytest.raises(SignInRequired) as info:
            await silent.get_token(min_valid_for=7200)
        assert "Sign in again" in remedy_for(info.value)
        assert "eyJ" not in str(info.value)
    finally:
        silent.close()
    assert len(tasks) == 1  # the silent provider never asked for a code


@pytest.mark.asyncio
async def test_a_declined_device_code_is_a_cancelled_sign_in(emulator: Emulator) -> None:
    tasks, on_device_code = _person(emulator, "sender-user", cancel=True)
    provider = _provider(emulator, _memory_cache(), on_device_code=on_device_code)
    try:
        with pytest.raises(SignInCancelled) as info:
            await provider.get_token()
        await asyncio.gather(*tasks)
    finally:
        provider.close()
    assert info.value.error == "access_denied"
    assert "finish the sign-in" in remedy_for(info.value)
    assert "Sign in again" in remedy_for(info.value)
    assert "code ran out" in remedy_for(DeviceCodeExpired("x"))


@pytest.mark.asyncio
async def test_cancelling_the_wait_stops_polling(emulator: Emulator) -> None:
    shown: list[DeviceCodePrompt] = []
    asked = asyncio.Event()

    def on_device_code(prompt: DeviceCodePrompt) -> None:
        shown.append(prompt)
        asked.set()

    provider = _provider(emulator, _memory_cache(), on_device_code=on_device_code)
    try:
        task = asyncio.ensure_future(provider.get_token())
        await asyncio.wait_for(asked.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        provider.close()
    assert shown[0].verification_uri.endswith("/devicelogin")


@pytest.mark.asyncio
async def test_cancel_sign_in_ends_the_wait_with_a_typed_error(emulator: Emulator) -> None:
    """A GUI's Cancel button: progress says started, code, failed; the error says cancelled."""
    stages: list[str] = []
    asked = asyncio.Event()

    def on_progress(progress: SignInProgress) -> None:
        stages.append(progress.stage)
        if progress.stage == "device_code":
            assert progress.prompt is not None and progress.prompt.user_code
            asked.set()

    provider = _provider(emulator, _memory_cache(), on_progress=on_progress)
    try:
        task = asyncio.ensure_future(provider.get_token())
        await asyncio.wait_for(asked.wait(), 30)
        provider.cancel_sign_in()
        with pytest.raises(SignInCancelled):
            await asyncio.wait_for(task, 30)
    finally:
        provider.close()
    assert stages == ["started", "device_code", "failed"]


@pytest.mark.asyncio
async def test_silently_never_asks_the_person_then_uses_their_sign_in(emulator: Emulator) -> None:
    """Background work (the listener count) must not start a sign-in of its own."""
    cache = _memory_cache()
    asked: list[DeviceCodePrompt] = []
    provider = _provider(emulator, cache, on_device_code=asked.append)
    try:
        with pytest.raises(SignInRequired):
            await provider.get_token_silently()
        assert asked == []  # no device code was requested
        tasks, on_device_code = _person(emulator, "sender-user")
        person = _provider(emulator, cache, on_device_code=on_device_code)
        try:
            signed_in = await person.get_token()
            await asyncio.gather(*tasks)
        finally:
            person.close()
        token = await provider.get_token_silently()
        assert token.identity == signed_in.identity and asked == []
    finally:
        provider.close()


@pytest.mark.asyncio
async def test_the_browser_redirect_page_leaves_the_browser_no_reason_to_come_back(
    emulator: Emulator,
) -> None:
    """The loopback server stops right after answering the redirect: its answer
    closes the connection and its page carries its own icon, so the browser opens
    no second connection (for /favicon.ico, or a kept-alive one) that would reach
    a server as it stops."""
    seen: dict[str, Any] = {}
    browsed = threading.Event()  # the provider may fail before the browser has read it all

    def browser(url: str) -> None:  # the person declines on the sign-in page
        try:
            query = parse_qs(urlsplit(url).query)
            body = urlencode({"error": "access_denied", "state": query["state"][0]}).encode()
            with urlopen(query["redirect_uri"][0], data=body, timeout=10) as answer:
                seen["connection"] = answer.headers.get("Connection")
                seen["page"] = answer.read().decode()
        finally:
            browsed.set()

    provider = UserTokenProvider(
        emulator.tenant_id,
        "browser",
        _memory_cache(),
        authority_host=emulator.authority.rsplit("/", 1)[0],
        ca_file=emulator.ca_file,
        open_browser=browser,
    )
    async with asyncio.timeout(30):
        with pytest.raises(RelayDeskError):
            await provider.get_token()
    provider.close()
    assert await asyncio.to_thread(browsed.wait, 10)
    assert seen["connection"] == "close"
    assert "<link rel='icon' href='data:,'>" in seen["page"]
