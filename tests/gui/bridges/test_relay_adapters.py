"""relaydesk.gui.bridges.relay_adapters against the emulator: background work never prompts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import msal
import pytest
import pytest_asyncio

from relaydesk.auth.sas_provider import SasTokenProvider
from relaydesk.auth.user_cache import UserTokenCache
from relaydesk.auth.user_provider import DeviceCodePrompt, UserTokenProvider
from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.errors import SignInRequired
from relaydesk.gui.bridges.relay_adapters import CoreBackend
from relaydesk.profiles.model import Profile
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.relay.tls import make_ssl_context
from relaydesk.secrets import Secret

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


@pytest_asyncio.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[Emulator]:
    async with Emulator(EmulatorOptions(data_dir=tmp_path / "emulator")) as emu:
        yield emu


def _user(emu: Emulator, asked: list[DeviceCodePrompt]) -> UserTokenProvider:
    cache = UserTokenCache(msal.SerializableTokenCache(), False, "in memory for this test")
    return UserTokenProvider(
        emu.tenant_id,
        "device_code",
        cache,
        authority_host=emu.authority.rsplit("/", 1)[0],
        ca_file=emu.ca_file,
        on_device_code=asked.append,
    )


@pytest.mark.asyncio
async def test_the_listener_count_never_starts_a_sign_in(emulator: Emulator) -> None:
    """Two people: the count asks with the sender's identity, who has not signed in yet.

    It must not show a device code of its own (it would hide the listener's); it
    asks with the listener's identity instead, or reports that a sign-in is needed.
    """
    address = HybridConnectionAddress.parse(f"sb://{emulator.namespace}/demo")
    asked: list[DeviceCodePrompt] = []
    person = _user(emulator, asked)
    rule = emulator.world.sas_rules["RootManageSharedAccessKey"]
    backend = CoreBackend(
        profile=Profile(name="two people", address=str(address)),
        address=address,
        listener_provider=SasTokenProvider(address, rule.name, Secret(rule.primary_key)),
        sender_provider=person,  # type: ignore[arg-type]
        ssl_context=make_ssl_context(emulator.ca_file),
    )
    try:
        async with asyncio.timeout(30):  # a prompt would wait for a person: a hang guard
            info = await backend.runtime_info_fetcher()()
        assert info.listener_count == 0 and asked == []
        alone = CoreBackend(
            profile=backend.profile,
            address=address,
            listener_provider=person,  # type: ignore[arg-type]
            sender_provider=person,  # type: ignore[arg-type]
            ssl_context=backend.ssl_context,
        )
        with pytest.raises(SignInRequired):
            async with asyncio.timeout(30):
                await alone.runtime_info_fetcher()()
        assert asked == []
    finally:
        person.close()
