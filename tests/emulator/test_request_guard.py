"""Malformed requests that need no credentials get 400/401, never 500 (raw TLS sockets).

Each case is written byte for byte (see :mod:`tests.emulator.raw_wire`): a
client library would encode these requests away. After each refusal the
emulator must still serve a good request.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.emulator.admin import ADMIN_HEADER
from relaydesk.protocol.sas import build_sas_token
from tests.cli.conftest import EmulatorThread
from tests.emulator.raw_wire import (
    GOOD_KEY,
    RawResponse,
    ServerErrors,
    exchange,
    request_bytes,
    ws_frame,
)

pytestmark = pytest.mark.e2e

ROOT = "RootManageSharedAccessKey"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    options = EmulatorOptions(
        data_dir=tmp_path_factory.mktemp("emulator"),
        http_response_timeout=2.0,
        rendezvous_timeout=2.0,
    )
    thread = EmulatorThread(options)
    try:
        yield thread.emulator
    finally:
        thread.stop()


@pytest.fixture(scope="module")
def context(emulator: Emulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(emulator.ca_file))


@pytest.fixture
def errors() -> Iterator[ServerErrors]:
    with ServerErrors().watching() as watcher:
        yield watcher
    assert not watcher.records, watcher.summary()


def sas(emulator: Emulator, entity: str = "demo") -> str:
    key = emulator.world.sas_rules[ROOT].primary_key
    uri = f"http://{emulator.namespace}/{entity}"
    return build_sas_token(uri, ROOT, key, expires_at=int(time.time()) + 3600)


def upgrade(emulator: Emulator, action: str = "connect", **headers: str | bytes) -> bytes:
    fields: dict[str, str | bytes] = {
        "Host": emulator.namespace,
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": GOOD_KEY,
        **{name.replace("_", "-"): value for name, value in headers.items()},
    }
    target = f"/$hc/demo?sb-hc-action={action}&sb-hc-id=guard"
    return request_bytes("GET", target, list(fields.items()))


def token_request(
    emulator: Emulator, body: bytes, content_type: str, **headers: str | bytes
) -> bytes:
    fields: dict[str, str | bytes] = {
        "Host": emulator.namespace,
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        **{name.replace("_", "-"): value for name, value in headers.items()},
    }
    target = f"/{emulator.tenant_id}/oauth2/v2.0/token"
    return request_bytes("POST", target, list(fields.items()), body)


def still_serving(emulator: Emulator, context: ssl.SSLContext) -> None:
    """A good request after the bad one: the discovery document."""
    target = f"/{emulator.tenant_id}/v2.0/.well-known/openid-configuration"
    good = exchange(
        emulator.port, context, request_bytes("GET", target, [("Host", emulator.namespace)])
    )
    assert good.status == 200 and json.loads(good.body)["issuer"]


def relay_refusal(response: RawResponse, status: int = 400) -> str:
    """The service's refusal shape (§4.2, §7.1): TrackingId in the reason and the body."""
    assert response.status == status, (response.status, response.reason)
    assert "TrackingId:" in response.reason
    return str(json.loads(response.body)["error"]["message"])


def entra_refusal(response: RawResponse, code: int) -> str:
    """Entra's error JSON (§10.6) with the AADSTS code."""
    assert response.status == 400, (response.status, response.body)
    answer = json.loads(response.body)
    assert answer["error"] == "invalid_request" and answer["error_codes"] == [code]
    return str(answer["error_description"])


# --- the relay ------------------------------------------------------------------------


def test_non_utf8_byte_in_the_sig_of_a_real_rule(
    emulator: Emulator, context: ssl.SSLContext, errors: ServerErrors
) -> None:
    token = sas(emulator).encode()
    raw = token.replace(b"sig=", b"sig=\xff\xfe", 1)
    response = exchange(emulator.port, context, upgrade(emulator, ServiceBusAuthorization=raw))
    assert "ServiceBusAuthorization" in relay_refusal(response)
    percent = quote(token.decode().replace("sig=", "sig=%FF%FE", 1), safe="")
    target = f"/demo?sb-hc-token={percent}"
    response = exchange(emulator.port, context, request_bytes("GET", target, [("Host", "x")]))
    assert "invalid signature" in relay_refusal(response, 401)
    still_serving(emulator, context)


@pytest.mark.parametrize(
    "host",
    [b"\xff\xfe", "bad host", "a" * 64 + ".example", "127.0.0.1:99999", "[::1", "évil.example"],
)
def test_a_host_that_is_no_host_name(
    emulator: Emulator, context: ssl.SSLContext, errors: ServerErrors, host: str | bytes
) -> None:
    for request in (upgrade(emulator, Host=host), request_bytes("POST", "/demo", [("Host", host)])):
        relay_refusal(exchange(emulator.port, context, request))
    still_serving(emulator, context)


def test_missing_or_repeated_host(
    emulator: Emulator, context: ssl.SSLContext, errors: ServerErrors
) -> None:
    """aiohttp's parser refuses these itself (RFC 9112 §3.2)."""
    assert exchange(emulator.port, context, request_bytes("GET", "/demo", [])).status == 400
    twice = [("Host", emulator.namespace), ("Host", "other.example")]
    assert exchange(emulator.port, context, request_bytes("GET", "/demo", twice)).status == 400
    still_serving(emulator, context)


@pytest.mark.parametrize(
    "key", ["dGhlIHNhbXBsZSBub25jZQé=", b"\xff\xfe\xfdaaaaaaaaaaaaaaaaaaaaa", "short==", "x" * 24]
)
def test_a_websocket_key_that_is_not_base64_of_16_bytes(
    emulator: Emulator, context: ssl.SSLContext, errors: ServerErrors, key: str | bytes
) -> None:
    response = exchange(emulator.port, context, upgrade(emulator, Sec_WebSocket_Key=key))
    relay_refusal(response)
    still_serving(emulator, context)


def test_a_good_upgrade_still_upgrades(
    emulator: Emulator, context: ssl.SSLContext, errors: ServerErrors
) -> None:
    listen = upgrade(emulator, "listen", ServiceBusAuthorization=sas(emulator))
    close = ws_frame(0x8, (1000).to_bytes(2, "big"))
    response = exchange(emulator.port, context, listen, then=close)
    assert response.status == 101
    assert response.after.startswith(b"\x88")  # the emulator answered the close


# --- Entra's token endpoint -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            b'--XX\r\nContent-Disposition: form-data; name="grant',
            "multipart/form-data; boundary=XX",
        ),
        (b"--XX\r\nContent-Disposition: form-", "multipart/form-data; boundary=XX"),
        (b"a=b", "application/x-www-form-urlencoded; charset=bogus"),
        (b"grant_type=%FF%FE", "application/x-www-form-urlencoded"),
        (b"\x1f\x8b not gzip", "application/x-www-form-urlencoded\r\nContent-Encoding: gzip"),
        (b'{"grant_type": "client_credentials"}', "application/json"),
    ],
)
def test_a_token_request_body_that_is_no_form(
    emulator: Emulator,
    context: ssl.SSLContext,
    errors: ServerErrors,
    body: bytes,
    content_type: str,
) -> None:
    """Entra reads form bodies only; anything else lacks 'grant_type' (AADSTS900144)."""
    response = exchange(emulator.port, context, token_request(emulator, body, content_type))
    assert "'grant_type'" in entra_refusal(response, 900144)
    still_serving(emulator, context)


def test_an_unreadable_head_at_the_token_endpoint_gets_entra_json(
    emulator: Emulator, context: ssl.SSLContext, errors: ServerErrors
) -> None:
    form = b"grant_type=client_credentials"
    kind = "application/x-www-form-urlencoded"
    for request in (
        token_request(emulator, form, kind, Host=b"\xff"),
        token_request(emulator, form, kind, client_request_id=b"\xff\xfe"),
    ):
        entra_refusal(exchange(emulator.port, context, request), 9002313)
    still_serving(emulator, context)


def test_an_oversized_token_request_is_refused(
    emulator: Emulator, context: ssl.SSLContext, errors: ServerErrors
) -> None:
    body = b"a=" + b"x" * (64 * 1024)
    response = exchange(
        emulator.port, context, token_request(emulator, body, "application/x-www-form-urlencoded")
    )
    assert "larger than" in entra_refusal(response, 9002313)


# --- the admin endpoint ---------------------------------------------------------------


def test_deeply_nested_json_to_the_admin_endpoint(
    emulator: Emulator, context: ssl.SSLContext, errors: ServerErrors
) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    headers = [
        ("Host", emulator.namespace),
        (ADMIN_HEADER, emulator.admin_key),
        ("Content-Length", str(len(body))),
    ]
    target = "/$admin/faults/set-response-delay"
    response = exchange(emulator.port, context, request_bytes("POST", target, headers, body))
    assert response.status == 400 and json.loads(response.body)["error"]["code"] == "BadRequest"
    still_serving(emulator, context)


def test_a_non_utf8_admin_key(
    emulator: Emulator, context: ssl.SSLContext, errors: ServerErrors
) -> None:
    headers = [("Host", emulator.namespace), (ADMIN_HEADER, b"\xff"), ("Content-Length", "0")]
    response = exchange(emulator.port, context, request_bytes("GET", "/$admin/listeners", headers))
    assert response.status == 400 and json.loads(response.body)["error"]["code"] == "BadRequest"
    still_serving(emulator, context)
