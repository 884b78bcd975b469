"""Fixtures for the auth tests: a fake clock and a real emulator over TLS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from relaydesk.emulator import Emulator, EmulatorOptions


class FakeClock:
    """A settable wall clock (seconds since the epoch)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass(frozen=True)
class EntraSetup:
    """What an Entra provider needs to talk to the emulator."""

    emulator: Emulator
    authority_host: str
    tenant_id: str
    ca_file: Path
    identities: dict[str, dict[str, Any]]

    def identity(self, name: str) -> tuple[str, str]:
        """(client_id, client_secret) of an emulator identity."""
        entry = self.identities[name]
        return entry["client_id"], entry["client_secret"]


@pytest_asyncio.fixture
async def entra(tmp_path: Path) -> AsyncIterator[EntraSetup]:
    """A running emulator (Relay + Entra) on 127.0.0.1 with its own CA."""
    async with Emulator(EmulatorOptions(data_dir=tmp_path / "emulator")) as emu:
        info = emu.ready_info()
        yield EntraSetup(
            emulator=emu,
            authority_host=emu.authority.rsplit("/", 1)[0],
            tenant_id=emu.tenant_id,
            ca_file=Path(emu.ca_file),
            identities={entry["name"]: entry for entry in info["identities"]},
        )
