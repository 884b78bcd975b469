"""Fixtures for interop tests: a real emulator and Microsoft's Node.js SDKs."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from relaydesk.emulator import Emulator, EmulatorOptions

from .node_process import interop_dir


@pytest.fixture
def sdk_dir() -> Path:
    """Where the official SDKs are installed (fails in CI when missing)."""
    return interop_dir()


@pytest_asyncio.fixture
async def emulator(tmp_path: Path, sdk_dir: Path) -> AsyncIterator[Emulator]:
    """A real emulator over TLS on 127.0.0.1 with a fresh data dir."""
    options = EmulatorOptions(data_dir=tmp_path / "emulator", http_response_timeout=10.0)
    async with Emulator(options) as emu:
        yield emu


@pytest.fixture
def client_ssl(emulator: Emulator) -> ssl.SSLContext:
    """An SSL context trusting only the emulator's local CA."""
    return ssl.create_default_context(cafile=str(emulator.ca_file))
