"""Where the token is found, and the authorization check (§3, §9.4, §10.4).

Precedence [EMU, matches the MS test double]: WebSocket handshakes read the
``ServiceBusAuthorization`` header, else ``sb-hc-token``; HTTP senders read
``sb-hc-token``, else ``ServiceBusAuthorization``, else ``Authorization``.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from relaydesk.emulator.context import Principal, RelayContext
from relaydesk.emulator.replies import error_response
from relaydesk.emulator.world import Right
from relaydesk.errors import InvalidInput, TokenRejected
from relaydesk.protocol.wire_names import AUTH_HEADER, TOKEN_PARAM

__all__ = [
    "HttpToken",
    "authorize",
    "authorize_or_refuse",
    "http_token",
    "websocket_token",
]


def websocket_token(request: web.Request) -> str | None:
    """Return the token of a WebSocket handshake (§3)."""
    header = request.headers.get(AUTH_HEADER)
    if header:
        return header
    return request.query.get(TOKEN_PARAM) or None


@dataclass(frozen=True)
class HttpToken:
    """The token of an HTTP sender request and whether ``Authorization`` carried it."""

    token: str | None
    from_authorization: bool


def http_token(request: web.Request) -> HttpToken:
    """Return the token of an HTTP sender request (§3 rules 1–3)."""
    query_token = request.query.get(TOKEN_PARAM)
    if query_token:
        return HttpToken(query_token, False)
    header = request.headers.get(AUTH_HEADER)
    if header:
        return HttpToken(header, False)
    authorization = request.headers.get("Authorization")
    if authorization:
        return HttpToken(authorization, True)
    return HttpToken(None, False)


def authorize(ctx: RelayContext, token: str | None, entity: str, right: Right) -> Principal:
    """Check ``token`` for ``right`` on ``entity``.

    Raises:
        TokenRejected: 401 when missing or invalid, 403 when the right is missing.
    """
    if not token:
        raise TokenRejected(401, "TokenMissingOrInvalid", "The token is missing or malformed.")
    try:
        return ctx.authorizer.authorize(token, entity, right)
    except InvalidInput as exc:
        raise TokenRejected(
            401, "MalformedToken", f"The token is malformed: {exc.reason}"
        ) from None


def authorize_or_refuse(
    ctx: RelayContext, token: str | None, entity: str, right: Right, who: str
) -> Principal | web.Response:
    """Authorize, or log the refusal and build the service-style response (§4.2)."""
    try:
        return authorize(ctx, token, entity, right)
    except TokenRejected as exc:
        ctx.logger.info(
            "%s refused: entity=%s status=%d code=%s reason=%s",
            who,
            entity,
            exc.status,
            exc.code,
            exc.message,
        )
        return error_response(
            exc.status, exc.code, exc.message, namespace=ctx.namespace, path=entity
        )
