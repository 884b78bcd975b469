"""HAR 1.2 export of a real forwarding capture, checked against the HAR 1.2 structure."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from relaydesk.relay.capture import Capture
from relaydesk.relay.events import HttpResponseSent
from relaydesk.relay.har import har_text
from relaydesk.relay.http_sender import http_request
from tests.local_app import download_bytes, local_app
from tests.relay.conftest import RelaySetup
from tests.relay.test_forwarding import forwarding


def _fields(obj: dict[str, Any], required: dict[str, type | tuple[type, ...]], where: str) -> None:
    for name, kind in required.items():
        assert name in obj, f"{where}.{name} is missing"
        assert isinstance(obj[name], kind), f"{where}.{name} is {type(obj[name]).__name__}"


def _pairs(items: list[Any], where: str) -> None:
    for item in items:
        _fields(item, {"name": str, "value": str}, where)


def check_har_1_2(document: dict[str, Any]) -> None:
    """The required objects and types of HAR 1.2 (softwareishard.com/blog/har-12-spec)."""
    _fields(document, {"log": dict}, "")
    log = document["log"]
    _fields(log, {"version": str, "creator": dict, "entries": list}, "log")
    assert log["version"] == "1.2"
    _fields(log["creator"], {"name": str, "version": str}, "log.creator")
    number = (int, float)
    for entry in log["entries"]:
        _fields(
            entry,
            {
                "startedDateTime": str,
                "time": number,
                "request": dict,
                "response": dict,
                "cache": dict,
                "timings": dict,
            },
            "entry",
        )
        assert "T" in entry["startedDateTime"] and entry["startedDateTime"].endswith("+00:00")
        request, response, timings = entry["request"], entry["response"], entry["timings"]
        _fields(
            request,
            {
                "method": str,
                "url": str,
                "httpVersion": str,
                "cookies": list,
                "headers": list,
                "queryString": list,
                "headersSize": int,
                "bodySize": int,
            },
            "request",
        )
        _pairs(request["headers"], "request.headers")
        _pairs(request["queryString"], "request.queryString")
        if "postData" in request:
            _fields(request["postData"], {"mimeType": str, "text": str}, "request.postData")
        _fields(
            response,
            {
                "status": int,
                "statusText": str,
                "httpVersion": str,
                "cookies": list,
                "headers": list,
                "content": dict,
                "redirectURL": str,
                "headersSize": int,
                "bodySize": int,
            },
            "response",
        )
        _pairs(response["headers"], "response.headers")
        _fields(response["content"], {"size": int, "mimeType": str}, "response.content")
        _fields(timings, {"send": number, "wait": number, "receive": number}, "timings")
        for name in ("send", "wait", "receive"):
            assert timings[name] >= 0
        for name in ("blocked", "dns", "connect", "ssl"):
            assert timings.get(name, -1) >= -1
        parts = [
            timings[k]
            for k in ("blocked", "dns", "connect", "send", "wait", "receive")
            if timings.get(k, -1) != -1
        ]
        assert entry["time"] == pytest.approx(sum(parts), abs=0.01)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_forwarding_capture_exports_as_valid_redacted_har(relay: RelaySetup) -> None:
    capture = Capture(body_limit=100_000)
    async with asyncio.timeout(60), local_app() as base, forwarding(relay, base) as listener:
        sends = [
            dict(
                method="POST",
                path_suffix="/api/echo",
                body=b'{"n": 1}',
                headers={"Content-Type": "application/json", "Authorization": "Bearer s3cr3t"},
                query="token=q-secret-9&page=1",
            ),
            dict(method="GET", path_suffix="/download", query="size=300000"),
        ]
        for send in sends:
            await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl, **send)
        answered = 0
        async for event in listener.events():
            capture.add(event)
            answered += isinstance(event, HttpResponseSent)
            if answered == 2:
                break
    text = har_text(capture, base_url=f"https://{relay.emulator.namespace}")
    document = json.loads(text)
    check_har_1_2(document)
    assert "s3cr3t" not in text and "q-secret-9" not in text
    post, download = document["log"]["entries"]
    assert post["request"]["url"].startswith(f"https://{relay.emulator.namespace}/demo/api/echo?")
    assert {"name": "page", "value": "1"} in post["request"]["queryString"]
    assert post["request"]["postData"] == {"mimeType": "application/json", "text": '{"n": 1}'}
    assert post["response"]["content"]["text"] == '{"n": 1}'
    content = download["response"]["content"]
    assert content["size"] == 300000 and content["encoding"] == "base64"
    assert base64.b64decode(content["text"]) == download_bytes(300000)[:100_000]
    assert "truncated" in content["comment"]


def test_an_empty_capture_is_a_valid_har() -> None:
    check_har_1_2(json.loads(har_text(Capture(), base_url="https://ns")))


def test_the_checker_rejects_what_is_not_har() -> None:
    with pytest.raises(AssertionError):
        check_har_1_2({"log": {"version": "1.2", "entries": []}})  # no creator
