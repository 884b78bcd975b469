"""Tests for relaydesk.emulator.ws_sender: a sender giving up (§5.2)."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiohttp import web

from relaydesk.emulator.context import RelayContext, RelaySettings
from relaydesk.emulator.hub import Hub
from relaydesk.emulator.ws_sender import await_outcome

TIMEOUT = 10.0


class _OpenTransport:
    def is_closing(self) -> bool:
        return False


def _context() -> RelayContext:
    return RelayContext(
        settings=RelaySettings(rendezvous_timeout=0.3),
        catalog=cast(Any, None),
        authorizer=cast(Any, None),
        logger=logging.getLogger("tests.ws_sender"),
        hub=Hub(),
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("transport", [None, _OpenTransport()], ids=["vanished", "timed-out"])
async def test_a_sender_that_gives_up_cancels_a_claimed_rendezvous(transport: object) -> None:
    """A listener that claimed the address before the sender gave up must not
    wait forever: withdraw() is a no-op once claimed, so the outcome itself
    has to be finished (the listener then closes with 1001)."""
    ctx = _context()
    rendezvous = ctx.hub.rendezvous.mint("accept", "demo", lambda rid: f"wss://x/{rid}", 30.0)
    rendezvous.outcome = asyncio.get_running_loop().create_future()
    ctx.hub.rendezvous.claim(rendezvous.rendezvous_id, "accept")  # the listener got there first
    request = cast(web.Request, SimpleNamespace(transport=transport))
    async with asyncio.timeout(TIMEOUT):
        assert await await_outcome(ctx, request, rendezvous) is None
    assert rendezvous.outcome.cancelled()
