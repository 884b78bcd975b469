"""Runtime information: ``GET https://{ns}/{path}?api-version=…`` (§11).

Which GETs are runtime-information requests: the .NET SDK sends both an
``api-version`` query parameter and ``X-PROCESS-AT: ServiceBus``; how the
service tells them from an HTTP sender's GET to the same URL (§7.1) is
[UNKNOWN]. The emulator requires both (the narrowest form known to work on
Azure), so every other GET still reaches the listener.

Authorization [UNKNOWN; the safe choice]: the .NET SDK offers
``GetRuntimeInformationAsync`` on both the listener and the client, each
with its own token, so the emulator accepts a token with any right on the
entity (Listen, Send or Manage). A token is always required, also on
hybrid connections that let senders in without one (a reader of this
endpoint learns who is listening, which anonymous senders have no need to
know). The token may come in ``Authorization`` (what the SDK sends),
``ServiceBusAuthorization`` or ``sb-hc-token`` (§3).

Answers as the service does: 200 with an Atom entry for a hybrid
connection, 200 with an empty Atom feed for a path that is none, and the
usual service refusals (401/403 with ``TrackingId``) otherwise.
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from relaydesk.emulator.context import HybridConnectionInfo, RelayContext
from relaydesk.emulator.gate import authorize, http_token
from relaydesk.emulator.replies import error_response
from relaydesk.emulator.world import Right
from relaydesk.errors import TokenRejected
from relaydesk.protocol.runtime_info import (
    ENTRY_CONTENT_TYPE,
    FEED_CONTENT_TYPE,
    PROCESS_AT_HEADER,
    PROCESS_AT_VALUE,
    RuntimeInfo,
    build_entry,
    build_not_found_feed,
)

__all__ = ["handle_runtime_info", "is_runtime_info_request"]

_ANY_RIGHT = (Right.LISTEN, Right.SEND, Right.MANAGE)


def is_runtime_info_request(request: web.Request) -> bool:
    """A GET with ``api-version`` and ``X-PROCESS-AT: ServiceBus`` (see module doc)."""
    return (
        request.method == "GET"
        and "api-version" in request.query
        and request.headers.get(PROCESS_AT_HEADER, "").strip().lower() == PROCESS_AT_VALUE.lower()
    )


def _authorized(ctx: RelayContext, token: str | None, entity: str) -> web.Response | None:
    """``None`` when ``token`` has some right on ``entity``; else the refusal."""
    refusal: TokenRejected | None = None
    if token:
        for right in _ANY_RIGHT:
            try:
                authorize(ctx, token, entity, right)
            except TokenRejected as exc:
                refusal = exc
                if exc.status == 401:
                    break
                continue
            return None
    else:
        refusal = TokenRejected(401, "TokenMissingOrInvalid", "The token is missing or malformed.")
    assert refusal is not None
    ctx.logger.info(
        "runtime info refused: entity=%s status=%d code=%s",
        entity,
        refusal.status,
        refusal.code,
    )
    return error_response(
        refusal.status, refusal.code, refusal.message, namespace=ctx.namespace, path=entity
    )


def handle_runtime_info(
    ctx: RelayContext, request: web.Request, info: HybridConnectionInfo | None, path: str
) -> web.Response:
    """Answer one runtime-information GET (``info`` ``None``: no such entity)."""
    entity = info.name if info is not None else path.strip("/")[:260]
    refused = _authorized(ctx, http_token(request).token, entity)
    if refused is not None:
        return refused
    url = f"https://{ctx.namespace}/{entity}?{request.query_string}"
    if info is None:
        body = build_not_found_feed(url=url, now=dt.datetime.now(dt.UTC))
        return _atom(body, FEED_CONTENT_TYPE)
    created = dt.datetime.fromtimestamp(ctx.created_at, dt.UTC)
    runtime = RuntimeInfo(
        listener_count=len(ctx.hub.listeners(info.name)),
        requires_client_authorization=info.requires_client_authorization,
        created_at=created,
        updated_at=created,
        user_metadata=info.user_metadata,
    )
    host = ctx.namespace.split(":")[0]
    body = build_entry(runtime, entity=info.name, url=url, namespace_name=host.split(".")[0])
    return _atom(body, ENTRY_CONTENT_TYPE)


def _atom(body: bytes, content_type: str) -> web.Response:
    response = web.Response(status=200, body=body)
    response.headers["Content-Type"] = content_type
    return response
