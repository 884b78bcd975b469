"""Accept policies and HTTP handlers as values."""

from __future__ import annotations

from typing import Any

import pytest

from relaydesk.errors import InvalidField
from relaydesk.protocol.messages import AcceptCommand
from relaydesk.relay.policies import (
    AcceptDecision,
    HttpReply,
    HttpRequest,
    accept_all,
    echo_handler,
    fixed_response,
    reject_all,
)

COMMAND = AcceptCommand(address="wss://h/$hc/demo?sb-hc-action=accept", id="c1")
REQUEST = HttpRequest(
    id="r1", method="POST", target="/demo", headers={"content-type": "text/x"}, body=b"abc"
)


@pytest.mark.asyncio
async def test_accept_and_reject_all() -> None:
    assert (await accept_all()(COMMAND)).accept
    decision = await reject_all(418, "teapot")(COMMAND)
    assert (decision.accept, decision.status, decision.reason) == (False, 418, "teapot")


def test_decision_defaults_follow_dotnet() -> None:
    assert AcceptDecision.reject().status == 400
    assert AcceptDecision.allow(subprotocol="v2").subprotocol == "v2"


@pytest.mark.asyncio
async def test_echo_and_fixed_handlers() -> None:
    echoed = await echo_handler()(REQUEST)
    assert (echoed.status, echoed.body, dict(echoed.headers)) == (
        200,
        b"abc",
        {"Content-Type": "text/x"},
    )
    fixed = await fixed_response(201, headers={"X": "1"}, body=b"made", reason="Made")(REQUEST)
    assert (fixed.status, fixed.reason, fixed.body, fixed.headers["X"]) == (
        201,
        "Made",
        b"made",
        "1",
    )


def test_reply_is_immutable_and_validated() -> None:
    headers = {"A": "1"}
    reply = HttpReply(headers=headers)
    headers["A"] = "2"
    assert reply.headers["A"] == "1"
    with pytest.raises(InvalidField):
        HttpReply(status=1000)


@pytest.mark.parametrize(
    "fields",
    [{"reason": "caf\udce9"}, {"headers": {"X": "\udcff"}}, {"headers": {"X-\udcff": "v"}}],
)
def test_a_reply_that_is_not_text_is_refused(fields: dict[str, Any]) -> None:
    """The response travels as JSON text (§7.3); the relay would close the channel."""
    with pytest.raises(InvalidField):
        HttpReply(**fields)
