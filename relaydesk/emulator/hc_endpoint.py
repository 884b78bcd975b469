"""The emulated relay: routes ``/$hc/…`` WebSockets and HTTP senders (§1–§8).

One aiohttp catch-all route serves everything that is not an Entra or admin
route: ``/$hc/{hc}[/suffix]?sb-hc-action=…`` (listen, connect, accept,
request) and ``/{hc}[/suffix]`` for HTTP senders of any method. The entity
is the longest registered prefix of the path (§1). A GET with
``api-version`` and ``X-PROCESS-AT: ServiceBus`` on exactly an entity's path
asks for its runtime information (§11, :mod:`.runtime_info`).

Missing ``sb-hc-action`` on a ``$hc`` upgrade means ``connect``, as in the MS
test double (§2): SDK senders always send it, and tolerating its absence
lets hand-written clients work. Unknown actions get 400 (§7.4).
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from relaydesk.emulator.context import HybridConnectionInfo, RelayContext
from relaydesk.emulator.control import handle_listen
from relaydesk.emulator.http_rendezvous import handle_request_rendezvous
from relaydesk.emulator.http_sender import handle_http_sender
from relaydesk.emulator.replies import error_response
from relaydesk.emulator.runtime_info import handle_runtime_info, is_runtime_info_request
from relaydesk.emulator.ws_sender import handle_accept, handle_connect
from relaydesk.emulator.wsclose import close_reason
from relaydesk.protocol.address import split_entity_path
from relaydesk.protocol.wire_names import ACTION_PARAM

__all__ = ["Relay"]

_HC_PREFIX = "/$hc/"
#: seconds ``close_all`` waits for peers to answer the 1001 close
CLOSE_ALL_TIMEOUT = 3.0


class Relay:
    """The relay's request handling over a :class:`RelayContext`."""

    def __init__(self, ctx: RelayContext) -> None:
        self.ctx = ctx

    def add_routes(self, app: web.Application) -> None:
        """Add the catch-all route; register Entra/admin routes before it."""
        app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Dispatch one request by path (§1)."""
        if request.path.startswith(_HC_PREFIX):
            return await self._handle_hc(request)
        resolved = self._resolve(request.path, request.url.raw_path)
        if is_runtime_info_request(request):
            entity = resolved[0] if resolved is not None and not resolved[1] else None
            return handle_runtime_info(self.ctx, request, entity, request.path)
        if resolved is None:
            return self._not_found(request.path)
        info, raw_suffix = resolved
        return await handle_http_sender(self.ctx, request, info, raw_suffix)

    async def _handle_hc(self, request: web.Request) -> web.StreamResponse:
        """Serve a ``/$hc/`` WebSocket request (§4–§7.4)."""
        path = request.path[len(_HC_PREFIX) - 1 :]
        raw_path = request.url.raw_path[len(_HC_PREFIX) - 1 :]
        resolved = self._resolve(path, raw_path)
        if resolved is None:
            return self._not_found(path)
        info, raw_suffix = resolved
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return error_response(
                400,
                "BadRequest",
                "This endpoint is only for web-socket requests.",
                namespace=self.ctx.namespace,
                path=info.name,
            )
        if not web.WebSocketResponse().can_prepare(request).ok:
            return error_response(
                400,
                "BadRequest",
                "Invalid WebSocket handshake.",
                namespace=self.ctx.namespace,
                path=info.name,
            )
        action = request.query.get(ACTION_PARAM, "connect")
        if action == "listen":
            return await handle_listen(self.ctx, request, info)
        if action == "connect":
            return await handle_connect(self.ctx, request, info, raw_suffix)
        if action == "accept":
            return await handle_accept(self.ctx, request, info)
        if action == "request":
            return await handle_request_rendezvous(self.ctx, request, info)
        self.ctx.logger.info("refused: entity=%s status=400 reason=unknown action", info.name)
        return error_response(
            400,
            "BadRequest",
            f"Unknown {ACTION_PARAM}.",
            namespace=self.ctx.namespace,
            path=info.name,
        )

    def _resolve(self, path: str, raw_path: str) -> tuple[HybridConnectionInfo, str] | None:
        """Find the entity and the raw (still encoded) suffix of a path (§1)."""
        split = split_entity_path(path, self.ctx.catalog.names())
        if split is None:
            return None
        name, _rest = split
        info = self.ctx.catalog.get(name)
        if info is None:
            return None
        segments = name.strip("/").count("/") + 1
        raw_parts = raw_path.lstrip("/").split("/")
        if len(raw_parts) <= segments:
            return info, ""
        return info, "/" + "/".join(raw_parts[segments:])

    def malformed_request(self, request: web.Request, reason: str) -> web.Response:
        """400 for a request whose head cannot be read (see :mod:`.request_guard`)."""
        self.ctx.logger.info("refused: status=400 reason=%s", reason)
        return error_response(
            400,
            "BadRequest",
            reason,
            namespace=self.ctx.namespace,
            path=request.path.strip("/")[:200],
        )

    def _not_found(self, path: str) -> web.Response:
        """404 for a path that names no hybrid connection (§4.2, §7.1)."""
        self.ctx.logger.info("refused: status=404 reason=endpoint does not exist")
        return error_response(
            404,
            "EndpointNotFound",
            "Endpoint does not exist.",
            namespace=self.ctx.namespace,
            path=path.strip("/")[:200],
        )

    async def close_all(self) -> None:
        """Send 1001 "going away" to every open WebSocket (server shutdown).

        Closes run concurrently; peers that do not answer the close within
        :data:`CLOSE_ALL_TIMEOUT` seconds are cut off by the server cleanup that follows.
        """
        reason = close_reason("The emulator is shutting down.")

        async def close(ws: web.WebSocketResponse) -> None:
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=reason)

        tasks = [asyncio.create_task(close(ws)) for ws in list(self.ctx.sockets)]
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_ALL_TIMEOUT)
