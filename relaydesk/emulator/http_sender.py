"""HTTP senders on ``https://ns/{hc}[/suffix][?query]`` (§7.1, §7.2).

The request goes to a random listener either inline on its control channel
(body length known and ≤ 65,536 bytes, header JSON ≤ 32 KiB) or as a
rendezvous-only ``{"request":{"address":…}}`` whose full request travels
over the listener's rendezvous socket (§7.2, §7.4). The listener has
``http_response_timeout`` seconds (60 s like the service) to answer, else
504; no listener is 502; an unknown entity is 404 (§7.1).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace

from aiohttp import web

from relaydesk.emulator.context import SEND, HybridConnectionInfo, RelayContext
from relaydesk.emulator.gate import authorize_or_refuse, http_token
from relaydesk.emulator.hub import (
    BodyRefused,
    ControlChannel,
    HttpExchange,
    HttpReply,
    ListenerGone,
    RendezvousFailed,
)
from relaydesk.emulator.rendezvous import EXPIRED, Rendezvous
from relaydesk.emulator.replies import error_response, reason_phrase
from relaydesk.emulator.routing import (
    forwarded_headers,
    pick_listener,
    remote_endpoint,
    rendezvous_url,
)
from relaydesk.errors import InvalidField
from relaydesk.protocol.address import strip_sb_hc_params
from relaydesk.protocol.headers import check_header_fields
from relaydesk.protocol.messages import INLINE_BODY_LIMIT, RequestCommand
from relaydesk.protocol.wire_names import AUTH_HEADER

__all__ = ["HEADER_JSON_LIMIT", "handle_http_sender"]

HEADER_JSON_LIMIT = 32 * 1024
#: Connection-level headers never forwarded in either direction (§7.2, §7.3).
#: ``Host`` is kept on requests ([EMU], §14 item 6).
CONNECTION_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "close",
        "keep-alive",
        "proxy-connection",
    }
)


async def handle_http_sender(
    ctx: RelayContext, request: web.Request, info: HybridConnectionInfo, raw_suffix: str
) -> web.StreamResponse:
    """Relay one HTTP request to a listener and its response back (§7)."""
    if request.method.upper() == "CONNECT":
        return _refuse(ctx, info, 405, "MethodNotAllowed", "CONNECT is not supported.")
    token = http_token(request)
    if info.requires_client_authorization:
        checked = authorize_or_refuse(ctx, token.token, info.name, SEND, "http sender")
        if isinstance(checked, web.Response):
            checked.headers["Via"] = f"1.1 {ctx.namespace}"
            return checked
    picked = pick_listener(ctx, request, info, no_listener_status=502)
    if isinstance(picked, web.Response):
        return picked
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        text = (
            f"The request body is larger than the relay accepts ({request.client_max_size} bytes)."
        )
        return _refuse(ctx, info, 413, "PayloadTooLarge", text)
    drop_authorization = token.from_authorization and info.requires_client_authorization
    command = _request_command(ctx, request, info, raw_suffix, drop_authorization)
    rendezvous = ctx.hub.rendezvous.mint(
        "request",
        info.name,
        rendezvous_url(ctx, request, info, raw_suffix, "request"),
        ctx.settings.http_response_timeout,
    )
    try:
        exchange = await _dispatch(ctx, request, info, rendezvous, picked, command, body)
        if exchange is None:
            return _refuse(ctx, info, 502, "ListenerGone", "The listener disconnected.")
        return await _await_reply(ctx, info, rendezvous, exchange, picked)
    finally:
        ctx.hub.rendezvous.release(rendezvous)


def _refuse(
    ctx: RelayContext, info: HybridConnectionInfo, status: int, code: str, text: str
) -> web.Response:
    response = error_response(status, code, text, namespace=ctx.namespace, path=info.name)
    response.headers["Via"] = f"1.1 {ctx.namespace}"
    return response


def _request_command(
    ctx: RelayContext,
    request: web.Request,
    info: HybridConnectionInfo,
    raw_suffix: str,
    drop_authorization: bool,
) -> RequestCommand:
    """Build the full ``request`` command; ``address`` and ``body`` come at dispatch (§7.2)."""
    query = strip_sb_hc_params(request.url.raw_query_string)
    target = f"/{info.name}{raw_suffix}" + (f"?{query}" if query else "")
    return RequestCommand(
        address="",
        id=f"{uuid.uuid4()}_G0",
        request_target=target,
        method=request.method,
        request_headers=_request_headers(ctx, request, drop_authorization),
        remote_endpoint=remote_endpoint(request),
    )


def _request_headers(
    ctx: RelayContext, request: web.Request, drop_authorization: bool
) -> dict[str, str]:
    """Sender headers minus connection-level and auth headers, plus ``Via`` (§3, §7.1)."""
    hidden = CONNECTION_HEADERS | {AUTH_HEADER.lower()}
    if drop_authorization:
        hidden = hidden | {"authorization"}
    headers = forwarded_headers(request, hidden)
    via = f"1.1 {ctx.namespace}"
    existing = next((k for k in headers if k.lower() == "via"), None)
    if existing is not None:
        headers[existing] = f"{headers[existing]}, {via}"
    else:
        headers["Via"] = via
    return headers


def _is_inline(request: web.Request, command: RequestCommand, body: bytes) -> bool:
    """Inline iff the body length was announced and small, and headers fit (§7.2 [EMU])."""
    if body and request.headers.get("Content-Length") is None:
        return False  # chunked: size not known up front
    if len(body) > INLINE_BODY_LIMIT:
        return False
    return len(json.dumps(dict(command.request_headers))) <= HEADER_JSON_LIMIT


async def _dispatch(
    ctx: RelayContext,
    request: web.Request,
    info: HybridConnectionInfo,
    rendezvous: Rendezvous,
    channel: ControlChannel,
    command: RequestCommand,
    body: bytes,
) -> HttpExchange | None:
    """Send the request to ``channel`` inline or as rendezvous-only (§7.2)."""
    inline = _is_inline(request, command, body)
    full = replace(command, address=rendezvous.address, body=bool(body))
    assert full.id is not None  # _request_command gives every request an id
    exchange = HttpExchange(
        request_id=full.id,
        command=full,
        body=body or None,
        inline_sent=inline,
        reply=asyncio.get_running_loop().create_future(),
    )
    rendezvous.exchange = exchange
    channel.pending[exchange.request_id] = exchange
    try:
        if inline:
            await channel.send_command(exchange.command, exchange.body)
        else:
            await channel.send_command(RequestCommand(address=rendezvous.address))
    except ConnectionError:
        channel.pending.pop(exchange.request_id, None)
        ctx.hub.rendezvous.withdraw(rendezvous, "The listener disconnected.")
        return None
    mode = "inline" if inline else "rendezvous"
    ctx.logger.info(
        "http request relayed: entity=%s method=%s listener=%s mode=%s bytes=%d",
        *(info.name, request.method, channel.listener_id, mode, len(body)),
    )
    return exchange


async def _await_reply(
    ctx: RelayContext,
    info: HybridConnectionInfo,
    rendezvous: Rendezvous,
    exchange: HttpExchange,
    channel: ControlChannel,
) -> web.StreamResponse:
    """Wait for the listener's response within the deadline (§7.3).

    A listener that comes to the rendezvous address after a failure learns
    why it is refused (§7.4).
    """
    try:
        async with asyncio.timeout(ctx.settings.http_response_timeout):
            reply = await exchange.reply
            delay = ctx.settings.response_delay
            if delay:
                await asyncio.sleep(delay)
    except TimeoutError:
        ctx.logger.info("http request timed out: entity=%s status=504", info.name)
        ctx.hub.rendezvous.withdraw(rendezvous, EXPIRED)
        return _refuse(
            ctx,
            info,
            504,
            "GatewayTimeout",
            "The request was routed to the listener but the listener did not "
            "respond in the required time.",
        )
    except ListenerGone:
        ctx.hub.rendezvous.withdraw(rendezvous, "The listener disconnected.")
        return _refuse(
            ctx, info, 502, "ListenerGone", "The listener disconnected before it responded."
        )
    except RendezvousFailed as exc:
        ctx.logger.info("http request failed: entity=%s status=502 (%s)", info.name, exc.reason)
        text = f"The listener's rendezvous socket carried no valid response: {exc.reason}"
        return _refuse(ctx, info, 502, "BadGateway", text)
    except BodyRefused as exc:
        # [EMU] The service's answer is not documented (§8, §15.7); 413 is
        # what an HTTP server says, and at once beats a 504 after 60 s.
        ctx.logger.info("http request refused: entity=%s status=413 (%s)", info.name, exc.reason)
        text = f"The listener refused the request body as too large ({exc.reason})."
        return _refuse(ctx, info, 413, "PayloadTooLarge", text)
    finally:
        channel.pending.pop(exchange.request_id, None)
    return _sender_response(ctx, info, reply)


def _sender_response(
    ctx: RelayContext, info: HybridConnectionInfo, reply: HttpReply
) -> web.StreamResponse:
    """Turn the listener's answer into the sender's response, adding ``Via`` (§7.1)."""
    if not 200 <= reply.status <= 999:  # a 1xx cannot be a final response
        return _refuse(
            ctx,
            info,
            502,
            "BadGateway",
            f"The listener sent an invalid status code {reply.status}.",
        )
    try:
        # A name that is not a token or a value with CR/LF would corrupt the
        # sender's response head (aiohttp drops the connection instead).
        headers = check_header_fields(reply.headers, field="responseHeaders")
    except InvalidField as exc:
        return _refuse(ctx, info, 502, "BadGateway", f"The listener sent {exc.reason}.")
    response = web.Response(
        status=reply.status,
        reason=reason_phrase(reply.description) if reply.description else None,
        body=reply.body,
    )
    for name, value in headers.items():
        if name.lower() not in CONNECTION_HEADERS:
            response.headers[name] = value
    via = f"1.1 {ctx.namespace}"
    response.headers["Via"] = (
        f"{response.headers['Via']}, {via}" if "Via" in response.headers else via
    )
    return response
