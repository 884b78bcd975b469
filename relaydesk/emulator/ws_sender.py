"""WebSocket senders and the accept rendezvous (§5, §6).

A sender's upgrade (``sb-hc-action=connect``) is held open while the chosen
listener gets an ``accept`` command with a one-time address. When the
listener upgrades that address, both 101s complete (the sender's with the
subprotocol the listener chose) and frames are piped without
interpretation, close codes and reasons included (§5.2). A listener that
adds ``sb-hc-statusCode``/``sb-hc-statusDescription`` (or the Node
``statusCode``/``statusDescription`` variant, §14 item 3) rejects: it gets
410, the sender gets that status and description (§5.3).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiohttp import web

from relaydesk.emulator.context import SEND, HybridConnectionInfo, RelayContext
from relaydesk.emulator.gate import authorize_or_refuse, websocket_token
from relaydesk.emulator.hub import ControlChannel, WsOutcome
from relaydesk.emulator.pipe import pipe
from relaydesk.emulator.rendezvous import EXPIRED, Rendezvous, RendezvousRefused
from relaydesk.emulator.replies import error_response, reason_phrase
from relaydesk.emulator.routing import (
    forwarded_headers,
    pick_listener,
    remote_endpoint,
    rendezvous_url,
)
from relaydesk.emulator.wsclose import close_reason
from relaydesk.protocol.messages import AcceptCommand
from relaydesk.protocol.wire_names import (
    AUTH_HEADER,
    ID_PARAM,
    STATUS_CODE_PARAM,
    STATUS_DESCRIPTION_PARAM,
)

__all__ = ["await_outcome", "handle_accept", "handle_connect"]

#: Pipes carry messages of any size (the service's limit is [UNKNOWN], §15.7).
PIPE_MAX_MESSAGE = 0
_POLL = 0.25
# Extensions are not negotiated through the relay (§5.2 [EMU]).
_HIDDEN_CONNECT_HEADERS = frozenset({AUTH_HEADER.lower(), "sec-websocket-extensions"})


async def handle_connect(
    ctx: RelayContext, request: web.Request, info: HybridConnectionInfo, suffix: str
) -> web.StreamResponse:
    """Serve ``sb-hc-action=connect`` (§6)."""
    if info.requires_client_authorization:
        checked = authorize_or_refuse(ctx, websocket_token(request), info.name, SEND, "sender")
        if isinstance(checked, web.Response):
            return checked
    picked = pick_listener(ctx, request, info, no_listener_status=404)
    if isinstance(picked, web.Response):
        return picked
    rendezvous = ctx.hub.rendezvous.mint(
        "accept",
        info.name,
        rendezvous_url(ctx, request, info, suffix, "accept"),
        ctx.settings.rendezvous_timeout,
    )
    try:
        return await _offer(ctx, request, info, picked, rendezvous)
    finally:
        ctx.hub.rendezvous.release(rendezvous)


async def _offer(
    ctx: RelayContext,
    request: web.Request,
    info: HybridConnectionInfo,
    listener: ControlChannel,
    rendezvous: Rendezvous,
) -> web.StreamResponse:
    """Send the listener its ``accept`` (§5.1), then complete the sender's side."""
    rendezvous.outcome = asyncio.get_running_loop().create_future()
    connection_id = request.query.get(ID_PARAM) or str(uuid.uuid4())
    try:
        await listener.send_command(_accept_command(request, rendezvous, connection_id))
    except ConnectionError:
        ctx.hub.rendezvous.withdraw(rendezvous, "The listener disconnected.")
        text = "The listener disconnected."
        return error_response(502, "ListenerGone", text, namespace=ctx.namespace, path=info.name)
    ctx.logger.info(
        "sender connecting: entity=%s connection=%s listener=%s",
        info.name,
        connection_id,
        listener.listener_id,
    )
    return await _complete_connect(ctx, request, info, rendezvous)


def _accept_command(
    request: web.Request, rendezvous: Rendezvous, connection_id: str
) -> AcceptCommand:
    """The ``accept`` command for the listener (§5.1)."""
    return AcceptCommand(
        address=rendezvous.address,
        id=connection_id,
        connect_headers=forwarded_headers(request, _HIDDEN_CONNECT_HEADERS),
        remote_endpoint=remote_endpoint(request),
    )


async def _complete_connect(
    ctx: RelayContext, request: web.Request, info: HybridConnectionInfo, rendezvous: Rendezvous
) -> web.StreamResponse:
    """Wait for the listener's answer, then finish the sender's handshake and pipe."""
    outcome = await await_outcome(ctx, request, rendezvous)
    if outcome is None:
        return error_response(
            504,
            "GatewayTimeout",
            "The listener did not accept the connection in the required time.",
            namespace=ctx.namespace,
            path=info.name,
        )
    if outcome.ws is None:
        ctx.logger.info(
            "sender rejected by listener: entity=%s status=%d reason=%s",
            info.name,
            outcome.status,
            outcome.description,
        )
        return web.Response(status=outcome.status, reason=reason_phrase(outcome.description))
    listener_ws, done = outcome.ws, outcome.done
    assert done is not None
    ws = _pipe_socket(outcome.protocol)
    try:
        try:
            await ws.prepare(request)
        except (ConnectionError, RuntimeError, web.HTTPException):
            await listener_ws.close(code=1001, message=close_reason("The sender disconnected."))
            return ws
        ctx.sockets.add(ws)
        ctx.logger.info("rendezvous established: entity=%s", info.name)
        await pipe(ws, listener_ws)
    finally:
        ctx.sockets.discard(ws)
        done.set()
    return ws


async def await_outcome(
    ctx: RelayContext, request: web.Request, rendezvous: Rendezvous
) -> WsOutcome | None:
    """Wait for the listener, noticing a sender that disappears meanwhile.

    Returns ``None`` on timeout. A vanished sender withdraws the rendezvous,
    so the listener's later upgrade gets 403 with that reason. A listener
    that already claimed the address (withdraw is then a no-op) finds the
    outcome cancelled and closes with 1001 instead of waiting forever for a
    sender that is gone.
    """
    outcome = rendezvous.outcome
    assert outcome is not None
    try:
        return await _poll_outcome(ctx, request, rendezvous, outcome)
    finally:
        if not outcome.done():
            outcome.cancel()


async def _poll_outcome(
    ctx: RelayContext,
    request: web.Request,
    rendezvous: Rendezvous,
    outcome: asyncio.Future[WsOutcome],
) -> WsOutcome | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ctx.settings.rendezvous_timeout
    while True:
        try:
            return await asyncio.wait_for(asyncio.shield(outcome), _POLL)
        except TimeoutError:
            pass
        transport = request.transport
        if transport is None or transport.is_closing():
            ctx.hub.rendezvous.withdraw(
                rendezvous, "The sender disconnected before the rendezvous."
            )
            ctx.logger.info("sender vanished during rendezvous: entity=%s", rendezvous.entity)
            return None
        if loop.time() >= deadline:
            ctx.hub.rendezvous.withdraw(rendezvous, EXPIRED)
            ctx.logger.info("listener did not accept in time: entity=%s", rendezvous.entity)
            return None


def _pipe_socket(protocol: str | None) -> web.WebSocketResponse:
    """A WebSocket end for piping: no auto close (the pipe relays closes)."""
    return web.WebSocketResponse(
        protocols=(protocol,) if protocol else (),
        autoclose=False,
        autoping=True,
        compress=False,
        max_msg_size=PIPE_MAX_MESSAGE,
    )


async def handle_accept(
    ctx: RelayContext, request: web.Request, info: HybridConnectionInfo
) -> web.StreamResponse:
    """Serve a listener's upgrade of an accept address (§5.2, §5.3)."""
    rejection = _rejection(request)
    if isinstance(rejection, str):
        return error_response(400, "BadRequest", rejection, namespace=ctx.namespace, path=info.name)
    try:
        rendezvous = ctx.hub.rendezvous.claim(request.query.get(ID_PARAM, ""), "accept")
    except RendezvousRefused as exc:
        ctx.logger.info("rendezvous refused: entity=%s status=403 reason=%s", info.name, exc.reason)
        return error_response(
            403, "RendezvousInvalid", exc.reason, namespace=ctx.namespace, path=info.name
        )
    assert rendezvous.outcome is not None
    if rejection is not None:
        status, description = rejection
        if not rendezvous.outcome.done():
            rendezvous.outcome.set_result(WsOutcome(status=status, description=description))
        return web.Response(status=410, reason="Gone")
    return await _accept_upgrade(ctx, request, rendezvous)


async def _accept_upgrade(
    ctx: RelayContext, request: web.Request, rendezvous: Rendezvous
) -> web.StreamResponse:
    """Upgrade the listener's rendezvous and hand it to the waiting sender."""
    assert rendezvous.outcome is not None
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    protocol = offered.split(",")[0].strip() or None
    ws = _pipe_socket(protocol)
    await ws.prepare(request)
    if rendezvous.outcome.done():
        await ws.close(code=1001, message=close_reason("The sender disconnected."))
        return ws
    done = asyncio.Event()
    ctx.sockets.add(ws)
    rendezvous.outcome.set_result(WsOutcome(ws=ws, protocol=protocol, done=done))
    try:
        await done.wait()
    finally:
        ctx.sockets.discard(ws)
    return ws


def _rejection(request: web.Request) -> tuple[int, str] | str | None:
    """Parse a rejection from the accept URL (§5.3, §14 item 3).

    Returns ``(status, description)``, ``None`` when accepting, or an error
    text for an invalid status. Statuses must be 200–999: a 1xx cannot end a
    handshake (narrower than the MS test double's 100–999, on purpose).
    """
    query: Any = request.query
    raw = query.get(STATUS_CODE_PARAM) or query.get("statusCode")
    if raw is None:
        return None
    description = query.get(STATUS_DESCRIPTION_PARAM) or query.get("statusDescription") or ""
    try:
        status = int(raw)
    except ValueError:
        return f"{STATUS_CODE_PARAM} must be an integer."
    if not 200 <= status <= 999:
        return f"{STATUS_CODE_PARAM} must be between 200 and 999."
    return status, description or "Rejected by the listener"
