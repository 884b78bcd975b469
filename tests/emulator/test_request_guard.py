"""Malformed requests get 400/401, never 500, and the emulator keeps serving (raw TLS).

Each case is written byte for byte (see :mod:`tests.emulator.raw_wire`): a
client library would encode these requests away. After each refusal the
emulator must still serve a good request. The examples come first, then
Hypothesis properties over any request, any control-channel frames and any
token request form.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from tests.hostile_text import hostile_text

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


def test_a_request_the_parser_refuses_is_one_info_line_without_the_token(
    emulator: Emulator, context: ssl.SSLContext
) -> None:
    """aiohttp logged an ERROR with a traceback quoting the raw line, sb-hc-token and all."""
    token = quote(sas(emulator), safe="")
    line = f"/$hc/demo?sb-hc-action=listen&sb-hc-token={token}&x=".encode() + b"\xff"
    with ServerErrors(logging.INFO).watching() as records:
        response = exchange(emulator.port, context, request_bytes("GET", line, [("Host", "x")]))
        assert response.status == 400
        still_serving(emulator, context)
    refused = [r for r in records.records if "malformed request" in r.getMessage()]
    assert [r.levelno for r in refused] == [logging.INFO]
    assert all(r.levelno < logging.ERROR and not r.exc_info for r in records.records)
    assert not any(token[:40] in r.getMessage() for r in records.records)


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


# --- properties: any request, any frames, any token form ------------------------------
#
# Each example is one raw request on a fresh TLS connection. Whatever it holds,
# the answer is never a server error (a 502/504 only means "no listener
# answered"), nothing unexpected is logged, and a good request works afterwards.
# The default runs are short; the long ones need RELAYDESK_LONG_PROPERTY_TESTS=1.

_DEFAULT = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
_LONG = settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
long_run = pytest.mark.skipif(
    not os.environ.get("RELAYDESK_LONG_PROPERTY_TESTS"),
    reason="a long property run; set RELAYDESK_LONG_PROPERTY_TESTS=1",
)

#: Placeholders a strategy draws and the test replaces with live values.
SAS_TOKEN, BAD_SIG, ADMIN_KEY, NAMESPACE, TENANT = (
    b"{sas}",
    b"{bad-sig}",
    b"{admin-key}",
    b"{namespace}",
    b"{tenant}",
)


def _live(emulator: Emulator, raw: bytes) -> bytes:
    token = sas(emulator).encode()
    return (
        raw.replace(SAS_TOKEN, token)
        .replace(BAD_SIG, token.replace(b"sig=", b"sig=\xff%FF", 1))
        .replace(ADMIN_KEY, emulator.admin_key.encode())
        .replace(NAMESPACE, emulator.namespace.encode())
        .replace(TENANT, emulator.tenant_id.encode())
    )


def _no_line_breaks(value: bytes) -> bytes:
    return value.replace(b"\r", b"").replace(b"\n", b"")


_hostile_bytes = st.one_of(
    st.binary(max_size=30),
    hostile_text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")),
).map(_no_line_breaks)

_HEADER_VALUES: dict[str, list[bytes]] = {
    "Host": [NAMESPACE, b"localhost", b"[::1]:1", b"a" * 64 + b".example", b"x:0"],
    "Upgrade": [b"websocket", b"WebSocket, h2c", b"h2c"],
    "Connection": [b"Upgrade", b"keep-alive, Upgrade", b"close"],
    "Sec-WebSocket-Key": [GOOD_KEY.encode(), b"AAAAAAAAAAAAAAAAAAAAAA==", b"AAAA"],
    "Sec-WebSocket-Version": [b"13", b"8", b"99"],
    "Sec-WebSocket-Protocol": [b"a, b", b",,,"],
    "Sec-WebSocket-Extensions": [b"permessage-deflate; client_max_window_bits", b";;"],
    "ServiceBusAuthorization": [SAS_TOKEN, BAD_SIG, b"SharedAccessSignature ", b"a.b.c"],
    "Authorization": [SAS_TOKEN, b"Bearer a.b.c", b"Basic \xff", b"Basic Og=="],
    "Content-Type": [
        b"application/x-www-form-urlencoded",
        b"multipart/form-data; boundary=XX",
        b"application/json",
        b'multipart/form-data; boundary="',
        b"text/plain; charset=bogus",
    ],
    "Content-Encoding": [b"gzip", b"br", b"deflate", b"identity, gzip"],
    "RelayDesk-Admin-Key": [ADMIN_KEY, b""],
    "X-PROCESS-AT": [b"ServiceBus"],
    "client-request-id": [b"00000000-0000-0000-0000-000000000000"],
    "Microsoft-Relay-AllowedListeners": [b"fuzz", b",", b"\xff"],
    "X-Fuzz": [],
}
_PATHS = [
    b"/$hc/demo",
    b"/$hc/open/sub/x",
    b"/$hc/nope",
    b"/demo",
    b"/open/a%FF/b",
    b"/nope",
    b"/$admin/listeners",
    b"/$admin/faults/set-response-delay",
    b"/$admin/faults/nope",
    b"/" + TENANT + b"/oauth2/v2.0/token",
    b"/" + TENANT + b"/v2.0/.well-known/openid-configuration",
    b"/" + TENANT + b"/discovery/v2.0/keys",
    b"/common/oauth2/v2.0/token",
    b"/%FF/oauth2/v2.0/token",
]
_QUERIES = [
    b"",
    b"?sb-hc-action=listen&sb-hc-id=fuzz",
    b"?sb-hc-action=connect",
    b"?sb-hc-action=accept&sb-hc-id=nope",
    b"?sb-hc-action=request&sb-hc-id=nope",
    b"?sb-hc-action=%FF",
    b"?api-version=2016-07",
    b"?sb-hc-token=%FF%FE",
    b"?a=%ED%A0%80&&=",
]


@st.composite
def hostile_requests(draw: st.DrawFn) -> bytes:
    """One HTTP/1.1 request: known paths and headers, with hostile values mixed in."""
    method = draw(st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS"]))
    target = draw(st.sampled_from(_PATHS)) + draw(st.sampled_from(_QUERIES))
    names = draw(st.lists(st.sampled_from(sorted(_HEADER_VALUES)), max_size=8, unique=True))
    headers: list[tuple[str | bytes, str | bytes]] = []
    for name in ["Host", *(n for n in names if n != "Host")]:
        known = _HEADER_VALUES[name]
        value = draw(st.sampled_from(known) | _hostile_bytes) if known else draw(_hostile_bytes)
        headers.append((name, value))
    body = draw(st.binary(max_size=60) | st.sampled_from([b"grant_type=%FF", b"[" * 2000]))
    headers.append(("Content-Length", str(len(body))))
    return request_bytes(method, target, headers, body)


def _check_request(emulator: Emulator, context: ssl.SSLContext, raw: bytes) -> None:
    close = ws_frame(0x8, (1000).to_bytes(2, "big"))
    with ServerErrors().watching() as errors:
        response = exchange(emulator.port, context, _live(emulator, raw), then=close)
        assert response.status < 500 or response.status in (502, 504), response
        still_serving(emulator, context)
    assert not errors.records, errors.summary()


@_DEFAULT
@given(raw=hostile_requests())
def test_any_request_gets_no_server_error(
    emulator: Emulator, context: ssl.SSLContext, raw: bytes
) -> None:
    _check_request(emulator, context, raw)


@pytest.mark.slow
@long_run
@_LONG
@given(raw=hostile_requests())
def test_any_request_gets_no_server_error_long_run(
    emulator: Emulator, context: ssl.SSLContext, raw: bytes
) -> None:
    _check_request(emulator, context, raw)


# --- frames on a listener's control channel (§4.4) --------------------------------------

_commands = st.one_of(
    st.sampled_from(
        [
            b'{"renewToken":{"token":"' + SAS_TOKEN + b'"}}',
            b'{"renewToken":{"token":"\\ud800"}}',
            b'{"response":{"requestId":"x","statusCode":200,"body":true}}',
            b'{"response":{"requestId":"x","statusCode":"2000","body":false}}',
            b'{"accept":{"address":"a","id":"b"}}',
            b'{"unknown":{}}',
            b"[" * 5000,
            b"{}",
        ]
    ),
    hostile_text(max_size=30).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=30),
)
_close_payloads = st.builds(
    lambda code, reason: code.to_bytes(2, "big") + reason,
    st.sampled_from([0, 999, 1000, 1004, 1005, 1006, 1011, 1016, 2999, 3000, 4999, 5000, 65535]),
    st.sampled_from([b"", b"bye", b"\xff\xfe", b"x" * 123]),
)
_frames = st.builds(
    lambda opcode, payload, fin, masked, rsv: ws_frame(
        opcode, payload, fin=fin, masked=masked, rsv=rsv
    ),
    st.sampled_from([0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA, 0xB, 0xF]),
    _commands | _close_payloads | st.binary(max_size=130),
    st.booleans() | st.just(True),
    st.just(True) | st.booleans(),
    st.just(0) | st.integers(0, 7),
)


def _check_frames(emulator: Emulator, context: ssl.SSLContext, frames: list[bytes]) -> None:
    listen = upgrade(emulator, "listen", ServiceBusAuthorization=sas(emulator))
    then = _live(emulator, b"".join(frames)) + ws_frame(0x8, (1000).to_bytes(2, "big"))
    with ServerErrors().watching() as errors:
        response = exchange(emulator.port, context, listen, then=then)
        assert response.status == 101
        still_serving(emulator, context)
    assert not errors.records, errors.summary()


@_DEFAULT
@given(frames=st.lists(_frames, max_size=6))
def test_any_frames_on_a_control_channel(
    emulator: Emulator, context: ssl.SSLContext, frames: list[bytes]
) -> None:
    _check_frames(emulator, context, frames)


@pytest.mark.slow
@long_run
@_LONG
@given(frames=st.lists(_frames, max_size=12))
def test_any_frames_on_a_control_channel_long_run(
    emulator: Emulator, context: ssl.SSLContext, frames: list[bytes]
) -> None:
    _check_frames(emulator, context, frames)


# --- token request forms (§10.6) --------------------------------------------------------

_FIELDS = ["grant_type", "client_id", "client_secret", "scope", "client_assertion", "x"]


@dataclass(frozen=True)
class TokenForm:
    """A drawn token request: fields (``None`` = the right value) and how they travel."""

    fields: dict[str, str | None]
    encoding: str
    charset: str
    basic: bool
    cut: int | None  # truncate the body here (a client that died mid-request)


@st.composite
def token_forms(draw: st.DrawFn) -> TokenForm:
    names = draw(st.lists(st.sampled_from(_FIELDS), max_size=5, unique=True))
    return TokenForm(
        fields={name: draw(st.none() | hostile_text(max_size=20)) for name in names},
        encoding=draw(st.sampled_from(["urlencoded", "raw", "multipart", "json"])),
        charset=draw(
            st.sampled_from(["", "; charset=utf-8", "; charset=bogus", "; charset=utf-16"])
        ),
        basic=draw(st.booleans()),
        cut=draw(st.none() | st.integers(0, 300)),
    )


def _token_body(fields: dict[str, str], encoding: str) -> tuple[bytes, str]:
    def raw(text: str) -> bytes:
        return text.encode("utf-8", "surrogatepass")

    if encoding == "urlencoded":
        pairs = (
            quote_from_bytes(raw(k)) + "=" + quote_from_bytes(raw(v)) for k, v in fields.items()
        )
        return "&".join(pairs).encode(), "application/x-www-form-urlencoded"
    if encoding == "raw":
        return b"&".join(raw(k) + b"=" + raw(v) for k, v in fields.items()), (
            "application/x-www-form-urlencoded"
        )
    if encoding == "json":
        return json.dumps(fields).encode(), "application/json"
    parts = b"".join(
        b'--XX\r\nContent-Disposition: form-data; name="' + raw(k) + b'"\r\n\r\n' + raw(v) + b"\r\n"
        for k, v in fields.items()
    )
    return parts + b"--XX--\r\n", "multipart/form-data; boundary=XX"


def _check_token_form(emulator: Emulator, context: ssl.SSLContext, form: TokenForm) -> None:
    owner = emulator.world.identities["owner"]
    right = {
        "grant_type": "client_credentials",
        "client_id": owner.client_id,
        "client_secret": owner.client_secret,
        "scope": "https://relay.azure.net/.default",
        "client_assertion": "a.b.c",
        "x": "",
    }
    fields = {name: right[name] if value is None else value for name, value in form.fields.items()}
    body, content_type = _token_body(fields, form.encoding)
    body, content_type = body[: form.cut], content_type + form.charset
    extra = {}
    if form.basic:
        pair = f"{owner.client_id}:{owner.client_secret}".encode()
        extra["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    with ServerErrors().watching() as errors:
        response = exchange(
            emulator.port, context, token_request(emulator, body, content_type, **extra)
        )
        answer = json.loads(response.body)
        if response.status == 200:
            assert answer["access_token"] and fields.get("scope") == right["scope"]
        else:
            assert response.status in (400, 401), response
            assert answer["error"] and answer["error_codes"][0] > 0
    assert not errors.records, errors.summary()


@_DEFAULT
@given(form=token_forms())
def test_any_token_request_form(
    emulator: Emulator, context: ssl.SSLContext, form: TokenForm
) -> None:
    _check_token_form(emulator, context, form)


@pytest.mark.slow
@long_run
@_LONG
@given(form=token_forms())
def test_any_token_request_form_long_run(
    emulator: Emulator, context: ssl.SSLContext, form: TokenForm
) -> None:
    _check_token_form(emulator, context, form)
