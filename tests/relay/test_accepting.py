"""Accept policies in action (§5.2, §5.3) and their helpers."""

from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.errors import InvalidField, ListenerRejected
from relaydesk.protocol.messages import AcceptCommand
from relaydesk.relay.accepting import offered_subprotocols
from relaydesk.relay.events import ConnectionRejected
from relaydesk.relay.listener import Listener
from relaydesk.relay.policies import AcceptDecision
from relaydesk.relay.sender import connect
from tests.hostile_text import hostile_text
from tests.relay.conftest import RelaySetup


def test_offered_subprotocols_in_order() -> None:
    assert offered_subprotocols({"Sec-WebSocket-Protocol": "a, b ,c"}) == ["a", "b", "c"]
    assert offered_subprotocols({"Host": "x"}) == []


def test_rejection_status_must_be_an_http_status() -> None:
    with pytest.raises(InvalidField):
        AcceptDecision.reject(42, "nope")


@pytest.mark.asyncio
@pytest.mark.e2e
async def test_policy_decides_per_sender_from_its_headers(relay: RelaySetup) -> None:
    deciding_slowly, other_decided = asyncio.Event(), asyncio.Event()

    async def policy(command: AcceptCommand) -> AcceptDecision:
        token = {k.lower(): v for k, v in command.connect_headers.items()}.get("x-ticket")
        if token == "valid":
            # a slow decision, done only once another sender was decided: it
            # must not block the decisions about other senders
            deciding_slowly.set()
            await other_decided.wait()
            return AcceptDecision.allow()
        other_decided.set()
        return AcceptDecision.reject(401, "Ticket required")

    from relaydesk.relay.options import ListenerOptions

    listener = Listener(
        relay.address(),
        relay.sas(),
        policy=policy,
        ssl_context=relay.ssl,
        options=ListenerOptions(auto_echo=True),
    )

    async def admitted() -> None:
        async with await connect(
            relay.address(), relay.sas(), ssl_context=relay.ssl, extra_headers={"X-Ticket": "valid"}
        ) as sender:
            await sender.send("in")
            assert await sender.receive() == "in"

    async with asyncio.timeout(30), listener:
        first = asyncio.create_task(admitted())
        await deciding_slowly.wait()
        with pytest.raises(ListenerRejected) as info:
            await connect(
                relay.address(),
                relay.sas(),
                ssl_context=relay.ssl,
                extra_headers={"X-Ticket": "forged"},
            )
        await first
    assert (info.value.status, info.value.reason) == (401, "Ticket required")


@pytest.mark.asyncio
@pytest.mark.e2e
async def test_failing_policy_rejects_with_502_and_logs(
    relay: RelaySetup, caplog: pytest.LogCaptureFixture
) -> None:
    async def policy(_command: AcceptCommand) -> AcceptDecision:
        raise ValueError("policy bug 17")

    listener = Listener(relay.address(), relay.sas(), policy=policy, ssl_context=relay.ssl)
    async with asyncio.timeout(30):
        async with listener:
            with (
                caplog.at_level(logging.ERROR, logger="relaydesk.relay"),
                pytest.raises(ListenerRejected) as info,
            ):
                await connect(relay.address(), relay.sas(), ssl_context=relay.ssl)
        events = [e async for e in listener.events()]
    assert info.value.status == 502 and "policy bug" not in info.value.reason
    assert any("policy bug 17" in (r.exc_text or "") for r in caplog.records)
    assert any(isinstance(e, ConnectionRejected) and e.status == 502 for e in events)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(hostile_text(max_size=24), hostile_text(), max_size=4))
def test_offered_subprotocols_on_hostile_headers(headers: dict[str, str]) -> None:
    offered = offered_subprotocols(headers)
    assert all(p and p == p.strip() and "," not in p for p in offered)
