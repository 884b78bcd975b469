"""Export captured exchanges as HAR 1.2, the format browsers and tools read.

HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): one ``log`` with
``version``, ``creator`` and ``entries``; each entry has ``startedDateTime``,
``time``, ``request``, ``response``, ``cache`` and ``timings``. URLs are the
sender's view, ``https://{namespace}{target}`` (§7.1: the target includes
the hybrid connection's path). Bodies that are not UTF-8 text are written
in base64 (``content.encoding``; for a request body, which HAR gives no
encoding field, the ``comment`` says so). A cut body keeps its full size in
``size``/``bodySize`` and says how much is present in ``comment``.

Everything comes from :class:`~relaydesk.relay.capture.Exchange` records,
which are already redacted: the export adds no secret.

Timings: ``wait`` is the listener → local service → response head hop,
``receive`` the body passed on to the relay; ``send`` is 0 (the request body
arrived whole), and what the listener cannot see is -1 (HAR's "n/a").
"""

from __future__ import annotations

import base64
import http
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from relaydesk import __version__
from relaydesk.relay.capture import CapturedBody, Exchange

__all__ = ["har_document", "har_text"]


def _headers(headers: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers.items()]


def _content_type(headers: Mapping[str, str]) -> str:
    found = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return found or "application/octet-stream"


def _text(body: CapturedBody) -> tuple[str, str | None, str]:
    """(text, encoding, comment) for a body: UTF-8 as is, else base64."""
    try:
        text, encoding = body.data.decode("utf-8"), None
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(body.data).decode("ascii"), "base64"
    comment = (
        f"truncated: the first {len(body.data)} of {body.size} bytes" if body.truncated else ""
    )
    return text, encoding, comment


def _request(exchange: Exchange, base_url: str) -> dict[str, Any]:
    query = exchange.target.partition("?")[2]
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": base_url.rstrip("/") + exchange.target,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(exchange.request_headers),
        "queryString": [
            {"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": exchange.request_body.size,
    }
    if exchange.request_body.size:
        text, encoding, comment = _text(exchange.request_body)
        notes = [n for n in ("base64-encoded" if encoding else "", comment) if n]
        request["postData"] = {
            "mimeType": _content_type(exchange.request_headers),
            "text": text,
            **({"comment": "; ".join(notes)} if notes else {}),
        }
    return request


def _response(exchange: Exchange) -> dict[str, Any]:
    status = exchange.status or 0
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    text, encoding, comment = _text(exchange.response_body)
    content: dict[str, Any] = {
        "size": exchange.response_body.size,
        "mimeType": _content_type(exchange.response_headers),
        "text": text,
    }
    if encoding:
        content["encoding"] = encoding
    if comment:
        content["comment"] = comment
    return {
        "status": status,
        "statusText": phrase,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(exchange.response_headers),
        "content": content,
        "redirectURL": next(
            (v for k, v in exchange.response_headers.items() if k.lower() == "location"), ""
        ),
        "headersSize": -1,
        "bodySize": exchange.response_body.size,
    }


def _timings(exchange: Exchange) -> dict[str, float]:
    wait = exchange.timings.get("handler", exchange.elapsed or 0.0) * 1000
    receive = exchange.timings.get("deliver", 0.0) * 1000
    return {
        "blocked": -1,
        "dns": -1,
        "connect": -1,
        "ssl": -1,
        "send": 0,
        "wait": round(max(wait, 0.0), 3),
        "receive": round(max(receive, 0.0), 3),
    }


def _entry(exchange: Exchange, base_url: str) -> dict[str, Any]:
    timings = _timings(exchange)
    return {
        "startedDateTime": datetime.fromtimestamp(exchange.started_at, tz=UTC).isoformat(
            timespec="milliseconds"
        ),
        "time": round(timings["send"] + timings["wait"] + timings["receive"], 3),
        "request": _request(exchange, base_url),
        "response": _response(exchange),
        "cache": {},
        "timings": timings,
        "comment": "via rendezvous" if exchange.via_rendezvous else "inline",
    }


def har_document(exchanges: Iterable[Exchange], *, base_url: str) -> dict[str, Any]:
    """A HAR 1.2 document of the answered exchanges (in-flight ones are left out).

    Args:
        exchanges: captured exchanges, oldest first.
        base_url: scheme and host the senders used, ``https://{namespace}``.
    """
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "RelayDesk", "version": __version__},
            "pages": [],
            "entries": [_entry(e, base_url) for e in exchanges if e.status is not None],
        }
    }


def har_text(exchanges: Iterable[Exchange], *, base_url: str) -> str:
    """:func:`har_document` as JSON text (UTF-8, indented)."""
    return json.dumps(har_document(exchanges, base_url=base_url), indent=1, ensure_ascii=False)
