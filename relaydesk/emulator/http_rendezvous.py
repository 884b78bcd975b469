"""The listener's HTTP rendezvous socket, ``sb-hc-action=request`` (§7.4).

For a rendezvous-only request the emulator first sends the full ``request``
(+ body) over this socket; for an inline request the listener uses it only
to send a large response. Either way the listener answers with ``response``
(+ one binary body message). The emulator then closes the socket (1000):
each sender request is routed on its own, which the .NET SDK's
close-after-response behaviour shows to be safe (§7.4, §14 item 8).

[EMU] What the service tells the sender when the listener's answer on this
socket is not a valid response (or the socket ends before one) is not
documented (§7.4, §15). The emulator closes the socket with 1002 and the
reason, and answers the sender 502 at once with the same reason: the
sender learns what went wrong now instead of a 504 after the deadline,
and no answer can come any more (the rendezvous address serves one upgrade).
"""

from __future__ import annotations

import asyncio

from aiohttp import WSMsgType, web

from relaydesk.emulator.context import HybridConnectionInfo, RelayContext
from relaydesk.emulator.control import reply_from
from relaydesk.emulator.hub import BodyRefused, HttpExchange, RendezvousFailed
from relaydesk.emulator.rendezvous import RendezvousRefused
from relaydesk.emulator.replies import error_response
from relaydesk.emulator.wsclose import close_reason
from relaydesk.errors import RemoteProtocolViolation
from relaydesk.protocol.messages import (
    ResponseCommand,
    encode_control_message,
    parse_control_message,
)
from relaydesk.protocol.wire_names import ID_PARAM

__all__ = ["handle_request_rendezvous"]

RENDEZVOUS_MAX_MESSAGE = 0  # bodies of any size (§7.4)
#: The close code of a listener that refuses a message over its limit (RFC 6455 §7.4.1).
CLOSE_MESSAGE_TOO_BIG = 1009
#: What ``receive()`` returns once the socket is closing or gone.
_ENDS = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR})


async def handle_request_rendezvous(
    ctx: RelayContext, request: web.Request, info: HybridConnectionInfo
) -> web.StreamResponse:
    """Serve a listener's upgrade of a request address (§7.4)."""
    try:
        rendezvous = ctx.hub.rendezvous.claim(request.query.get(ID_PARAM, ""), "request")
    except RendezvousRefused as exc:
        ctx.logger.info("rendezvous refused: entity=%s status=403 reason=%s", info.name, exc.reason)
        return error_response(
            403, "RendezvousInvalid", exc.reason, namespace=ctx.namespace, path=info.name
        )
    exchange = rendezvous.exchange
    assert exchange is not None
    exchange.rendezvous_used = True
    ws = web.WebSocketResponse(compress=False, max_msg_size=RENDEZVOUS_MAX_MESSAGE)
    await ws.prepare(request)
    ctx.sockets.add(ws)
    try:
        if exchange.reply.done():
            await ws.close(code=1001, message=close_reason("The sender is gone."))
            return ws
        if not exchange.inline_sent:
            await _send_request(ws, exchange)
        try:
            async with asyncio.timeout(ctx.settings.http_response_timeout):
                problem = await _receive_response(ws, exchange)
        except TimeoutError:
            problem = "The listener did not respond in the required time."
        else:
            if problem is not None:
                _fail(exchange, problem)
        await ws.close(code=1000 if problem is None else 1002, message=close_reason(problem or ""))
    except ConnectionError:
        _fail(exchange, _ENDED_EARLY)
    finally:
        ctx.sockets.discard(ws)
    return ws


_ENDED_EARLY = "The listener closed the rendezvous socket before it responded."


def _fail(exchange: HttpExchange, problem: str) -> None:
    """Answer the sender 502 with ``problem`` unless it has its answer already."""
    if not exchange.reply.done():
        exchange.reply.set_exception(RendezvousFailed(problem))


def _json(exchange: HttpExchange) -> str:
    return encode_control_message(exchange.command)


async def _send_request(ws: web.WebSocketResponse, exchange: HttpExchange) -> None:
    """Send the full ``request`` and its body (§7.4).

    A listener that refuses the body as too large closes with 1009 and may
    drop the TCP connection while the body is still being written; the
    close frame it sent is then still waiting to be read, and
    :func:`_receive_response` reads it.
    """
    try:
        await ws.send_str(_json(exchange))
        if exchange.body is not None:
            await ws.send_bytes(exchange.body)
    except ConnectionError:
        return


async def _receive_response(ws: web.WebSocketResponse, exchange: HttpExchange) -> str | None:
    """Read ``response`` + body and deliver it; return a problem text or None."""
    msg = await ws.receive()
    if msg.type is WSMsgType.CLOSE and msg.data == CLOSE_MESSAGE_TOO_BIG:
        if not exchange.reply.done():
            exchange.reply.set_exception(BodyRefused(msg.extra or "close 1009"))
        return None
    if msg.type is not WSMsgType.TEXT:
        return "Expected a response message." if msg.type is WSMsgType.BINARY else _ENDED_EARLY
    try:
        command = parse_control_message(msg.data)
    except RemoteProtocolViolation as exc:
        return f"Invalid response message: {exc}"
    if not isinstance(command, ResponseCommand):
        return "Expected a response message."
    body = b""
    if command.body:
        body_msg = await ws.receive()
        if body_msg.type in _ENDS:
            return _ENDED_EARLY
        if body_msg.type is not WSMsgType.BINARY:
            return "Expected the binary response body."
        body = body_msg.data
    if not exchange.reply.done():
        exchange.reply.set_result(reply_from(command, body))
    return None
