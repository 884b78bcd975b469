"""The relay tests' emulator fixtures, for the diagnosis tests."""

from __future__ import annotations

from tests.relay.conftest import make_emulator, relay, secret_watch  # noqa: F401
