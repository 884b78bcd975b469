"""Tests for relaydesk.emulator.replies: service-style refusals (§4.2, §7.1).

The builders are pure; the last tests check what a client really receives
from the running emulator over TLS.
"""

from __future__ import annotations

import asyncio
import calendar
import json
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.emulator.replies import error_response, reason_phrase, service_message
from tests.emulator.conftest import RelayKit

#: ``TrackingId:<guid>_G0, SystemTracker:sb://<ns>/<path>, Timestamp:<utc>`` (§4.2)
SUFFIX = re.compile(
    r" TrackingId:(?P<guid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_G0,"
    r" SystemTracker:sb://(?P<tracker>[^,]+),"
    r" Timestamp:(?P<stamp>\d\d/\d\d/\d{4} \d\d:\d\d:\d\d [AP]M)$"
)


def _suffix(message: str) -> re.Match[str]:
    match = SUFFIX.search(message)
    assert match is not None, message
    return match


def test_service_message_appends_the_tracking_suffix() -> None:
    before = time.gmtime()
    message = service_message("No listener.", "ns.example:443", "demo/sub")
    after = time.gmtime()
    assert message.startswith("No listener. TrackingId:")
    match = _suffix(message)
    assert match["tracker"] == "ns.example:443/demo/sub"
    stamp = calendar.timegm(time.strptime(match["stamp"], "%m/%d/%Y %I:%M:%S %p"))
    assert calendar.timegm(before) <= stamp <= calendar.timegm(after)


def test_every_message_gets_its_own_tracking_id() -> None:
    ids = {_suffix(service_message("x", "ns", "p"))["guid"] for _ in range(50)}
    assert len(ids) == 50


def test_reason_phrase_is_one_printable_ascii_line() -> None:
    assert reason_phrase("Bad\r\nInjected: header") == "Bad  Injected: header"
    assert reason_phrase("naïve\tvalue\x00") == "na ve value"
    assert reason_phrase("  padded  ") == "padded"


def test_reason_phrase_is_never_empty() -> None:
    assert reason_phrase("") == "Error"
    assert reason_phrase("\r\n\t") == "Error"
    assert reason_phrase("ééé") == "Error"


def test_reason_phrase_is_cut_at_512_characters() -> None:
    assert reason_phrase("z" * 2000) == "z" * 512


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_reason_phrase_is_always_safe_for_a_status_line(text: str) -> None:
    phrase = reason_phrase(text)
    assert 1 <= len(phrase) <= 512
    assert all(32 <= ord(ch) < 127 for ch in phrase)
    assert phrase == phrase.strip()


def test_error_response_carries_the_message_in_reason_and_body() -> None:
    response = error_response(
        403, "QuotaExceeded", "Too many listeners.", namespace="ns", path="demo"
    )
    assert response.status == 403
    assert response.content_type == "application/json"
    assert isinstance(response.body, bytes)
    error = json.loads(response.body)["error"]
    assert error["code"] == "QuotaExceeded"
    assert error["message"].startswith("Too many listeners. TrackingId:")
    _suffix(error["message"])
    assert response.reason == error["message"]  # same text, same TrackingId


def test_error_response_reason_is_sanitised_but_the_body_keeps_the_text() -> None:
    response = error_response(400, "BadRequest", "line one\nline two ü", namespace="n", path="p")
    assert "\n" not in response.reason and "ü" not in response.reason
    assert isinstance(response.body, bytes)
    assert json.loads(response.body)["error"]["message"].startswith("line one\nline two ü")


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_refusal_on_the_wire_has_matching_reason_and_body(kit: RelayKit) -> None:
    async with asyncio.timeout(20):
        first = await kit.http("GET", "/no-such-entity/x")
        second = await kit.http("GET", "/no-such-entity/x")
    assert (first.status, second.status) == (404, 404)
    assert first.headers["Content-Type"].startswith("application/json")
    error = first.json()["error"]
    assert error["code"] == "EndpointNotFound"
    assert first.reason == error["message"]
    match = _suffix(error["message"])
    assert match["tracker"] == f"{kit.ns}/no-such-entity/x"
    assert _suffix(second.json()["error"]["message"])["guid"] != match["guid"]


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_refusal_never_echoes_the_token(kit: RelayKit) -> None:
    token = kit.sas(key="A" * 44)  # right rule, wrong key: 401
    signature = token.split("sig=", 1)[1].split("&", 1)[0]
    async with asyncio.timeout(20):
        result = await kit.http("GET", "/demo", headers={"ServiceBusAuthorization": token})
    assert result.status == 401
    assert signature not in result.reason and signature not in result.body.decode()
    assert kit.key() not in result.body.decode()
