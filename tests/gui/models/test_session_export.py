"""export_jsonl: one JSON object per event, and no secret ever in the file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from relaydesk.gui.models.session_export import event_record, export_jsonl
from relaydesk.relay.events import (
    ChannelClosed,
    ConnectionAccepted,
    ConnectionState,
    ErrorInfo,
    HttpRequestReceived,
    MessageReceived,
    MessageSent,
    StateChanged,
    TokenAcquired,
    TokenInfo,
)

JWT = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL3JlbGF5LmF6dXJlLm5ldCJ9.U0lHTkFUVVJF"
SIG = "s1gn4tur3VALUE"
SAS = f"SharedAccessSignature sr=http%3a%2f%2fns%2fdemo&sig={SIG}&se=1&skn=root"


def _session() -> list[object]:
    at = {"at": 1_800_000_000.5, "side": "listener"}
    return [
        StateChanged(**at, state=ConnectionState.ONLINE),
        TokenAcquired(
            **at,
            token=TokenInfo(
                kind="entra", identity="listener", expires_at=1.8e9, claims={"aud": "x"}
            ),
        ),
        ConnectionAccepted(**at, connection_id="c1", headers={"Authorization": f"Bearer {JWT}"}),
        MessageReceived(**at, connection_id="c1", data=f"my token is {JWT}"),
        MessageSent(**at, connection_id="c1", data=b"\xff\x00" + SAS.encode()),
        HttpRequestReceived(
            **at,
            request_id="r1",
            method="POST",
            target=f"/demo?sb-hc-token={SIG}",
            headers={"ServiceBusAuthorization": SAS, "Content-Type": "text/plain"},
            body=SAS.encode(),
            via_rendezvous=True,
        ),
        ChannelClosed(**at, channel_id="ch", code=1008, reason=f"expired {SAS}", by_peer=True),
        StateChanged(
            **at,
            state=ConnectionState.OFFLINE,
            error=ErrorInfo(kind="Unauthorized", message=f"bad {JWT}", status=401),
        ),
    ]


def test_export_writes_one_record_per_event(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    events = _session()
    assert export_jsonl(path, events) == len(events)  # type: ignore[arg-type]
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["type"] for r in records] == [type(e).__name__ for e in events]
    assert records[0] == {
        "type": "StateChanged",
        "at": 1_800_000_000.5,
        "side": "listener",
        "state": "online",
        "attempt": 0,
        "next_try_in": None,
        "error": None,
    }
    assert records[1]["token"]["claims"] == {"aud": "x"}
    assert records[5]["headers"]["Content-Type"] == "text/plain"


def test_no_token_signature_or_credential_header_appears_in_the_export(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    export_jsonl(path, _session())  # type: ignore[arg-type]
    text = path.read_text(encoding="utf-8")
    for secret in (JWT, SIG, JWT.split(".")[1], "Bearer"):
        assert secret not in text
    assert "<redacted>" in text


def test_binary_data_is_redacted_before_base64(tmp_path: Path) -> None:
    record = event_record(_session()[4])  # type: ignore[arg-type]
    data = record["data"]
    assert isinstance(data, dict)
    raw = base64.b64decode(str(data["base64"]))
    assert SIG.encode() not in raw
    assert raw.startswith(b"\xff\x00")
    assert data["size"] == 2 + len(SAS)
