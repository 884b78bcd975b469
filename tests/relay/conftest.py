"""Fixtures for the relay client tests: the real emulator over TLS on 127.0.0.1.

* ``make_emulator(**options)`` starts an :class:`Emulator` (port 0 unless
  given, fresh data dir unless given) and stops it at teardown.
* ``relay``: a :class:`RelaySetup` around one emulator: TLS context trusting
  its CA, the ``demo`` address, and the real token providers (SAS and Entra).
* ``secret_watch``: captures every log record at DEBUG; tests register the
  token values they saw and the fixture fails if any appears in a record.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from relaydesk.auth.entra_provider import EntraTokenProvider
from relaydesk.auth.sas_provider import SasTokenProvider
from relaydesk.auth.tokens import AccessToken
from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.relay.tls import make_ssl_context
from relaydesk.secrets import Secret

ROOT_RULE = "RootManageSharedAccessKey"

#: Emulator options for these tests unless a test says otherwise.
TEST_DEFAULTS: dict[str, Any] = {"http_response_timeout": 10.0, "rendezvous_timeout": 10.0}


def secret_parts(token: str) -> set[str]:
    """The token and its signature on its own (SAS ``sig``, JWT third part)."""
    if not token:
        return set()
    parts = {token}
    if "sig=" in token:
        parts.add(token.split("sig=", 1)[1].split("&", 1)[0])
    elif token.count(".") == 2:
        parts.add(token.rsplit(".", 1)[1])
    return {p for p in parts if len(p) >= 16}


def assert_no_secrets(things: Any, seen: set[str]) -> None:
    """Fail if any token value appears in ``repr``/``str`` of ``things``."""
    text = repr(things) + str(things)
    assert seen, "no tokens recorded; the check would be void"
    assert not [s for s in seen if s in text], "a token leaked into events/errors"


class RecordingProvider:
    """Wraps a real provider and remembers every token value it handed out.

    Not a fake: tokens come from the real SAS/Entra providers; the values are
    only kept so the secret-leak check knows what to look for.
    """

    def __init__(self, inner: Any, seen: set[str]) -> None:
        self._inner = inner
        self._seen = seen
        self.calls = 0

    async def get_token(
        self, *, min_valid_for: float = 0, expires_after: float | None = None
    ) -> AccessToken:
        self.calls += 1
        token: AccessToken = await self._inner.get_token(
            min_valid_for=min_valid_for, expires_after=expires_after
        )
        self._seen.update(secret_parts(token.value.reveal()))
        return token


@dataclass
class RelaySetup:
    """One emulator plus what a RelayDesk client needs to talk to it."""

    emulator: Emulator
    ssl: ssl.SSLContext
    tokens_seen: set[str] = field(default_factory=set, repr=False)

    def address(self, entity: str = "demo") -> HybridConnectionAddress:
        return HybridConnectionAddress.parse(f"sb://{self.emulator.namespace}/{entity}")

    def sas(
        self,
        rule: str = ROOT_RULE,
        entity: str = "demo",
        *,
        ttl: float = 3600,
        key: str | None = None,
    ) -> RecordingProvider:
        """A real :class:`SasTokenProvider` for ``rule`` (optionally a wrong key)."""
        secret = Secret(key or self.emulator.world.sas_rules[rule].primary_key)
        return RecordingProvider(
            SasTokenProvider(self.address(entity), rule, secret, ttl=ttl), self.tokens_seen
        )

    def entra(self, identity: str = "owner") -> RecordingProvider:
        """A real :class:`EntraTokenProvider` (MSAL) against the emulated authority."""
        ident = self.emulator.world.identities[identity]
        provider = EntraTokenProvider(
            self.emulator.tenant_id,
            ident.client_id,
            Secret(ident.client_secret),
            authority_host=f"https://{self.emulator.namespace}",
            ca_file=self.emulator.ca_file,
        )
        return RecordingProvider(provider, self.tokens_seen)


@pytest_asyncio.fixture
async def make_emulator(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Emulator]]]:
    """Factory: start an emulator with ``TEST_DEFAULTS`` overridden by keyword options."""
    started: list[Emulator] = []

    async def factory(**options: Any) -> Emulator:
        merged = {**TEST_DEFAULTS, **options}
        merged.setdefault("data_dir", tmp_path / "emu")
        emulator = Emulator(EmulatorOptions(**merged))
        await emulator.start()
        started.append(emulator)
        return emulator

    yield factory
    for emulator in started:
        await emulator.stop()


def setup_for(emulator: Emulator, tokens_seen: set[str] | None = None) -> RelaySetup:
    return RelaySetup(emulator, make_ssl_context(emulator.ca_file), tokens_seen or set())


@pytest_asyncio.fixture
async def relay(
    make_emulator: Callable[..., Awaitable[Emulator]], secret_watch: set[str]
) -> RelaySetup:
    """An emulator with test defaults and the client-side setup for it."""
    return setup_for(await make_emulator(), secret_watch)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + repr(record.exc_info[1]) + " " + str(record.exc_info[1])
        self.texts.append(text)


@pytest.fixture
def secret_watch() -> Iterator[set[str]]:
    """Capture all logs at DEBUG; fail if a token handed out appears in one."""
    seen: set[str] = set()
    handler = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    leaks = [t for t in handler.texts for token in seen if token in t]
    assert not leaks, f"{len(leaks)} log records contain a token"
    assert handler.texts, "the log capture saw nothing; the leak check would be void"
