"""Listener control channels: attach, read commands, renew and expire tokens (§4).

A listener opens ``wss://ns/$hc/{hc}?sb-hc-action=listen&sb-hc-id=…`` with a
token that carries Listen (§4.1). The channel then receives ``accept`` and
``request`` commands and sends ``response`` and ``renewToken`` (§4.4).
Anything that is not a valid command closes *that* channel with 1002 and a
reason; it never disturbs other connections.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from aiohttp import WSMsgType, web

from relaydesk.emulator.context import LISTEN, HybridConnectionInfo, RelayContext
from relaydesk.emulator.gate import authorize, authorize_or_refuse, websocket_token
from relaydesk.emulator.hub import ControlChannel, HttpReply, ListenerGone, QuotaExceeded
from relaydesk.emulator.replies import error_response
from relaydesk.emulator.wsclose import close_reason
from relaydesk.errors import RemoteProtocolViolation, TokenRejected
from relaydesk.protocol.messages import (
    RenewTokenCommand,
    ResponseCommand,
    parse_control_message,
)
from relaydesk.protocol.wire_names import ID_PARAM

__all__ = ["CONTROL_MAX_MESSAGE", "close_channel", "handle_listen"]

#: Largest control message accepted from a listener; bigger ones close the
#: channel with 1009. Inline bodies are ≤ 64 KiB (§7.3), headers ≤ 32 KiB; a
#: generous margin tolerates listeners that overshoot.
CONTROL_MAX_MESSAGE = 4 * 1024 * 1024

CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_POLICY = 1008


async def handle_listen(
    ctx: RelayContext, request: web.Request, info: HybridConnectionInfo
) -> web.StreamResponse:
    """Serve ``sb-hc-action=listen`` (§4.1, §4.2)."""
    listener_id = request.query.get(ID_PARAM) or str(uuid.uuid4())
    principal = authorize_or_refuse(
        ctx, websocket_token(request), info.name, LISTEN, f"listener {listener_id}"
    )
    if isinstance(principal, web.Response):
        return principal
    ws = web.WebSocketResponse(autoping=True, compress=False, max_msg_size=CONTROL_MAX_MESSAGE)
    channel = ControlChannel(info.name, listener_id, ws, request, principal.expires_at)
    try:
        ctx.hub.attach(channel, ctx.settings.max_listeners)
    except QuotaExceeded:
        # The quota's HTTP status is [UNKNOWN] (§4.2, §15.2); 403 as .NET maps
        # QuotaExceededException from 403.
        text = (
            f"The quota has been exceeded: at most {ctx.settings.max_listeners} listeners "
            f"can be connected. MaximumListenersPerEndpoint"
        )
        ctx.logger.info(
            "listener refused: entity=%s id=%s status=403 reason=quota exceeded",
            info.name,
            listener_id,
        )
        return error_response(403, "QuotaExceeded", text, namespace=ctx.namespace, path=info.name)
    try:
        await ws.prepare(request)
        ctx.sockets.add(ws)
        channel.expiry_task = asyncio.create_task(_expire_later(ctx, channel))
        ctx.logger.info("listener attached: entity=%s id=%s", info.name, listener_id)
        await _read_loop(ctx, channel)
    finally:
        _detach(ctx, channel)
    return ws


def _detach(ctx: RelayContext, channel: ControlChannel) -> None:
    """Forget a channel and fail its unanswered inline requests with 502."""
    if channel.expiry_task is not None:
        channel.expiry_task.cancel()
    ctx.sockets.discard(channel.ws)
    if ctx.hub.detach(channel):
        ctx.logger.info(
            "listener detached: entity=%s id=%s close_code=%s",
            channel.entity,
            channel.listener_id,
            channel.ws.close_code,
        )
    for exchange in channel.pending.values():
        if not exchange.rendezvous_used and not exchange.reply.done():
            exchange.reply.set_exception(ListenerGone())
    channel.pending.clear()


async def close_channel(ctx: RelayContext, channel: ControlChannel, code: int, text: str) -> None:
    """Close a control channel as the service does (§4.3), logging why."""
    ctx.logger.info(
        "listener closed by service: entity=%s id=%s code=%d reason=%s",
        channel.entity,
        channel.listener_id,
        code,
        text,
    )
    await channel.ws.close(code=code, message=close_reason(text))


async def _expire_later(ctx: RelayContext, channel: ControlChannel) -> None:
    """Close the channel with 1008 at token expiry + grace (§4.3, §4.6)."""
    while channel.expires_at is not None:
        delay = channel.expires_at + ctx.settings.token_expiry_grace - time.time()
        if delay <= 0:
            await close_channel(
                ctx, channel, CLOSE_POLICY, "TokenExpired: the listener's token expired"
            )
            return
        await asyncio.sleep(min(delay, 3600.0))


async def _read_loop(ctx: RelayContext, channel: ControlChannel) -> None:
    """Read commands until the channel closes (§4.4)."""
    while True:
        msg = await channel.ws.receive()
        if msg.type is WSMsgType.TEXT:
            if not await _on_command(ctx, channel, msg.data):
                return
        elif msg.type is WSMsgType.BINARY:
            await close_channel(
                ctx,
                channel,
                CLOSE_UNSUPPORTED_DATA,
                "Unexpected binary message on the control channel",
            )
            return
        else:  # CLOSE, CLOSING, CLOSED, ERROR (e.g. 1009 for an oversize frame)
            return


async def _on_command(ctx: RelayContext, channel: ControlChannel, text: str) -> bool:
    """Handle one text command; return False when the channel was closed."""
    try:
        command = parse_control_message(text)
    except RemoteProtocolViolation as exc:
        await close_channel(ctx, channel, CLOSE_PROTOCOL_ERROR, f"Invalid control message: {exc}")
        return False
    if isinstance(command, RenewTokenCommand):
        return await _on_renew(ctx, channel, command)
    if isinstance(command, ResponseCommand):
        return await _on_response(ctx, channel, command)
    # Unknown keys (and commands a listener should not send) are ignored, as
    # the SDKs ignore unknown commands (§4.4).
    ctx.logger.info(
        "listener command ignored: entity=%s id=%s type=%s",
        channel.entity,
        channel.listener_id,
        type(command).__name__,
    )
    return True


async def _on_renew(ctx: RelayContext, channel: ControlChannel, command: RenewTokenCommand) -> bool:
    """Swap the channel's token, or close with 1008 (§4.6)."""
    try:
        principal = authorize(ctx, command.token, channel.entity, LISTEN)
    except TokenRejected as exc:
        await close_channel(ctx, channel, CLOSE_POLICY, f"{exc.code}: renewToken rejected")
        return False
    channel.expires_at = principal.expires_at
    # The old timer may sleep past a shorter new expiry: start it afresh
    # (unless its 1008 close is already under way, which must not be cut).
    if not channel.ws.closed:
        if channel.expiry_task is not None:
            channel.expiry_task.cancel()
        channel.expiry_task = asyncio.create_task(_expire_later(ctx, channel))
    ctx.logger.info(
        "token renewed: entity=%s id=%s expires_at=%s",
        channel.entity,
        channel.listener_id,
        principal.expires_at,
    )
    return True


async def _on_response(
    ctx: RelayContext, channel: ControlChannel, command: ResponseCommand
) -> bool:
    """Deliver an inline ``response`` (+ its body message) to the sender (§7.3)."""
    body = b""
    if command.body:
        msg = await channel.ws.receive()
        if msg.type is not WSMsgType.BINARY:
            if msg.type is WSMsgType.TEXT:
                await close_channel(
                    ctx,
                    channel,
                    CLOSE_PROTOCOL_ERROR,
                    "Expected the binary response body after the response",
                )
            return False
        body = msg.data
    exchange = channel.pending.pop(command.request_id, None)
    if exchange is None or exchange.reply.done():
        ctx.logger.info(
            "response for unknown or finished request ignored: entity=%s id=%s",
            channel.entity,
            channel.listener_id,
        )
        return True
    exchange.reply.set_result(reply_from(command, body))
    return True


def reply_from(command: ResponseCommand, body: bytes) -> HttpReply:
    """Turn a parsed ``response`` and its body into an :class:`HttpReply`."""
    return HttpReply(
        status=command.status_code,
        description=command.status_description,
        headers=dict(command.response_headers),
        body=body,
    )
