"""Choosing a listener and minting rendezvous addresses (§4.7, §5.1, §7.2)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Literal

from aiohttp import web

from relaydesk.emulator.context import HybridConnectionInfo, RelayContext
from relaydesk.emulator.hub import ControlChannel
from relaydesk.emulator.replies import error_response
from relaydesk.protocol.address import strip_sb_hc_params
from relaydesk.protocol.messages import RemoteEndpoint
from relaydesk.protocol.wire_names import (
    ACTION_PARAM,
    ALLOWED_LISTENERS_HEADER,
    DISALLOWED_LISTENERS_HEADER,
    ID_PARAM,
)

__all__ = ["forwarded_headers", "pick_listener", "remote_endpoint", "rendezvous_url"]


def _ids(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def pick_listener(
    ctx: RelayContext, request: web.Request, info: HybridConnectionInfo, *, no_listener_status: int
) -> ControlChannel | web.Response:
    """Choose a random eligible listener, or the refusal to send (§4.7).

    No listener at all → ``no_listener_status`` (HTTP senders 502 per §7.1;
    WebSocket senders 404, the status being [UNKNOWN], §6). Listeners exist
    but the ``Microsoft-Relay-AllowedListeners``/``DisallowedListeners``
    headers exclude all → 404.
    """
    if not ctx.hub.listeners(info.name):
        ctx.logger.info(
            "sender refused: entity=%s status=%d reason=no listener", info.name, no_listener_status
        )
        code = "NoListener" if no_listener_status == 502 else "EndpointNotFound"
        text = "There are no listeners connected for the endpoint."
        return error_response(
            no_listener_status, code, text, namespace=ctx.namespace, path=info.name
        )
    allowed_header = request.headers.get(ALLOWED_LISTENERS_HEADER)
    allowed = _ids(allowed_header) if allowed_header is not None else None
    chosen = ctx.hub.choose(
        info.name, allowed, _ids(request.headers.get(DISALLOWED_LISTENERS_HEADER))
    )
    if chosen is None:
        ctx.logger.info("sender refused: entity=%s status=404 reason=listener filter", info.name)
        text = (
            "None of the connected listeners meet the "
            "AllowedListeners/DisallowedListeners criteria."
        )
        return error_response(
            404, "EndpointNotFound", text, namespace=ctx.namespace, path=info.name
        )
    return chosen


def forwarded_headers(request: web.Request, hidden: Collection[str]) -> dict[str, str]:
    """The sender's headers for ``connectHeaders``/``requestHeaders`` (§5.1, §7.2).

    ``hidden`` holds lower-case names that are not forwarded; repeated
    headers are folded into one comma-separated value.
    """
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        if name.lower() in hidden:
            continue
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def remote_endpoint(request: web.Request) -> RemoteEndpoint | None:
    """The sender's address and port for ``remoteEndpoint`` (§5.1)."""
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if not peer:
        return None
    return RemoteEndpoint(address=str(peer[0]), port=int(peer[1]))


def rendezvous_url(
    ctx: RelayContext,
    request: web.Request,
    info: HybridConnectionInfo,
    suffix: str,
    action: Literal["accept", "request"],
) -> Callable[[str], str]:
    """Return a builder of the one-time address for a rendezvous id.

    The address keeps the sender's suffix and non-``sb-hc`` query (§5.1) and
    points at the emulator itself (its gateway port when it has one).
    """
    query = strip_sb_hc_params(request.query_string)
    authority = ctx.settings.rendezvous_authority or ctx.namespace

    def build(rendezvous_id: str) -> str:
        prefix = f"{query}&" if query else ""
        return (
            f"wss://{authority}/$hc/{info.name}{suffix}?{prefix}"
            f"{ACTION_PARAM}={action}&{ID_PARAM}={rendezvous_id}"
        )

    return build
