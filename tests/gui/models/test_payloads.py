"""gui/models/payloads.py: payload sizes and the byte budget (Qt-free)."""

from __future__ import annotations

from relaydesk.gui.models.payloads import PayloadBudget, payload_size, without_payload
from relaydesk.relay.events import (
    ConnectionState,
    HttpResponseReceived,
    MessageSent,
    StateChanged,
)

AT = 1_800_000_000.0


def test_sizes_and_emptied_copies() -> None:
    text = MessageSent(at=AT, side="sender", connection_id="c", data="héllo")
    binary = MessageSent(at=AT, side="sender", connection_id="c", data=b"\x00" * 7)
    state = StateChanged(at=AT, side="sender", state=ConnectionState.ONLINE)
    assert [payload_size(e) for e in (text, binary, state)] == [5, 7, 0]
    assert without_payload(text).data == "" and without_payload(binary).data == b""
    assert without_payload(text).connection_id == "c"  # only the payload goes
    assert without_payload(state) is state


def test_http_bodies_count_too() -> None:
    response = HttpResponseReceived(
        at=AT,
        side="sender",
        method="GET",
        url="https://ns/hc",
        status=200,
        reason="OK",
        headers={},
        body=b"12345",
        elapsed=0.1,
    )
    assert payload_size(response) == 5
    assert without_payload(response).body == b""


def test_budget_releases_oldest_first_and_forgets_evicted_items() -> None:
    budget = PayloadBudget(limit=10)
    assert budget.add(0, 4) == [] and budget.add(1, 4) == []
    assert budget.add(2, 4) == [0]  # 12 > 10: the oldest lets go
    assert budget.total == 8 and budget.released == 1
    budget.forget_before(2)  # item 1 left the container
    assert budget.total == 4
    assert budget.add(3, 0) == []  # nothing held, nothing to release
    assert budget.add(4, 50) == [2]  # the newest stays even alone over the limit
    assert budget.total == 50
    budget.clear()
    assert budget.total == 0 and budget.released == 0
