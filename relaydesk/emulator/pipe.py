"""Transparent frame pipe between a sender and a listener (§5.2).

Each received message is forwarded with its type; a close frame is forwarded
with its code and reason and then echoed back to the side that sent it. A
side that vanishes without a close frame makes the pipe close the other side
with 1001, as the service does when "the sender shut down" (§5.2).
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import WSMsgType, web

from relaydesk.emulator.wsclose import close_reason, relayable_code

__all__ = ["pipe"]

_LOST = "The peer connection was lost."
_DRAIN = 10.0


async def pipe(a: web.WebSocketResponse, b: web.WebSocketResponse) -> None:
    """Relay messages between ``a`` and ``b`` until both are closed."""
    tasks = [asyncio.create_task(_pump(a, b)), asyncio.create_task(_pump(b, a))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        await asyncio.wait(tasks, timeout=_DRAIN)
    finally:
        for task in tasks:
            task.cancel()
        for ws in (a, b):
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close(code=1001, message=close_reason(_LOST))


async def _pump(src: web.WebSocketResponse, dst: web.WebSocketResponse) -> None:
    """Forward messages from ``src`` to ``dst`` until ``src`` ends."""
    while True:
        msg = await src.receive()
        try:
            if msg.type is WSMsgType.TEXT:
                await dst.send_str(msg.data)
                continue
            if msg.type is WSMsgType.BINARY:
                await dst.send_bytes(msg.data)
                continue
        except ConnectionError:
            await src.close(code=1001, message=close_reason(_LOST))
            return
        if msg.type is WSMsgType.CLOSE:
            code = relayable_code(msg.data)
            reason = close_reason(msg.extra or "")
            # Echo to the side that closed first (RFC 6455 §5.5.1). Closing
            # ``dst`` wakes the other pump's pending receive() with CLOSING;
            # were ``src`` still open then, that pump would close it with
            # 1001 "lost" before our echo.
            await src.close(code=code, message=reason)
            await dst.close(code=code, message=reason)
        elif not dst.closed:  # CLOSED / ERROR: src vanished without a close frame
            await dst.close(code=1001, message=close_reason(_LOST))
        return
