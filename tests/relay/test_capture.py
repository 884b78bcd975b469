"""The capture model: pairing, redaction, filters and bounds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.relay.capture import Capture
from relaydesk.relay.events import HttpRequestReceived, HttpResponseSent


def _request(
    rid: str,
    *,
    target: str = "/demo/x",
    body: bytes = b"",
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> HttpRequestReceived:
    return HttpRequestReceived(
        at=1000.0,
        side="listener",
        request_id=rid,
        method=method,
        target=target,
        headers=headers or {},
        body=body,
        via_rendezvous=False,
    )


def _response(
    rid: str,
    *,
    status: int = 200,
    body: bytes = b"",
    size: int | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponseSent:
    return HttpResponseSent(
        at=1001.0,
        side="listener",
        request_id=rid,
        status=status,
        headers=headers or {},
        body=body,
        via_rendezvous=True,
        elapsed=0.25,
        body_size=size,
        timings={"handler": 0.2, "body": 0.01, "deliver": 0.05},
    )


def test_a_request_and_its_response_make_one_exchange() -> None:
    capture = Capture()
    capture.add(_request("r1", method="POST", body=b"in"))
    done = capture.add(_response("r1", status=201, body=b"out"))
    assert done is not None and len(capture) == 1
    assert (done.method, done.status, done.request_body.data, done.response_body.data) == (
        "POST",
        201,
        b"in",
        b"out",
    )
    assert done.timings["handler"] == 0.2 and done.via_rendezvous and done.elapsed == 0.25


def test_secrets_are_redacted_when_recorded() -> None:
    capture = Capture()
    capture.add(
        _request(
            "r1",
            target="/demo/items?token=app-secret-1&page=2",
            headers={"Authorization": "Bearer abc.def", "Cookie": "sid=42", "X-Ok": "fine"},
        )
    )
    done = capture.add(_response("r1", headers={"Set-Cookie": "sid=43"}))
    assert done is not None
    text = repr(done)
    assert "app-secret-1" not in text and "abc.def" not in text and "sid=4" not in text
    assert done.request_headers["X-Ok"] == "fine" and "page=2" in done.target


def test_large_bodies_keep_their_start_and_full_size() -> None:
    capture = Capture(body_limit=10)
    capture.add(_request("r1", body=b"x" * 50))
    done = capture.add(_response("r1", body=b"y" * 10, size=1_000_000))
    assert done is not None
    assert done.request_body.data == b"x" * 10 and done.request_body.size == 50
    assert done.response_body.truncated and done.size == 1_000_000


def test_filters_by_path_method_and_status() -> None:
    capture = Capture()
    for rid, method, target, status in [
        ("a", "GET", "/demo/api/items", 200),
        ("b", "POST", "/demo/api/items", 201),
        ("c", "GET", "/demo/static/x.css", 404),
        ("d", "GET", "/demo/api/fail", 502),
    ]:
        capture.add(_request(rid, method=method, target=target))
        capture.add(_response(rid, status=status))
    ids = lambda rs: [r.request_id for r in rs]  # noqa: E731
    assert ids(capture.filtered(path="/api/")) == ["a", "b", "d"]
    assert ids(capture.filtered(method="post")) == ["b"]
    assert ids(capture.filtered(status="5")) == ["d"]
    assert ids(capture.filtered(status="20", method="GET")) == ["a"]


def test_a_response_without_its_request_is_ignored() -> None:
    assert Capture().add(_response("unknown")) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5000), st.booleans()), max_size=60))
def test_bounds_hold_after_any_sequence(steps: list[tuple[int, int, bool]]) -> None:
    capture = Capture(max_records=5, max_body_bytes=8000, body_limit=3000)
    for rid, size, answer in steps:
        if answer:
            capture.add(_response(str(rid), body=b"r" * size))
        else:
            capture.add(_request(str(rid), body=b"q" * size))
        records = list(capture)
        assert len(records) <= 5
        stored = sum(r.stored_bytes for r in records)
        assert stored <= 8000 or len(records) == 1
