"""Fixtures for the tests of relaydesk.profiles: an in-memory secret store and a store."""

from __future__ import annotations

from pathlib import Path

import pytest

from relaydesk.profiles.store import ProfileStore
from relaydesk.secrets import MemorySecretStore


@pytest.fixture
def secrets() -> MemorySecretStore:
    return MemorySecretStore()


@pytest.fixture
def store(tmp_path: Path, secrets: MemorySecretStore) -> ProfileStore:
    return ProfileStore(secrets, tmp_path / "config")
