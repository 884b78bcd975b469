"""Authenticated admin endpoint exposing the fault controls as JSON.

``POST https://host:port/$admin/faults/{name}`` with header
``RelayDesk-Admin-Key: <admin_key from the ready line>`` and a JSON object
body of arguments; answers ``{"ok": true, "result": …}``. Names:
``drop-control-channels`` (``entity``), ``close-control-channels``
(``code``, ``reason``, ``entity``), ``expire-listener-tokens`` (``entity``),
``set-response-delay`` (``seconds``, null = off), ``grant-role`` and
``revoke-role`` (``identity``, ``role``, ``scope``).
``GET /$admin/listeners`` lists attached listeners per entity.
Errors: 401 wrong/missing key, 404 unknown fault, 400 bad arguments, all
as ``{"error": {"code": …, "message": …}}``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from relaydesk.emulator.context import RelayContext
from relaydesk.emulator.faults import Faults
from relaydesk.errors import EmulatorError

__all__ = ["ADMIN_HEADER", "AdminApi"]

ADMIN_HEADER = "RelayDesk-Admin-Key"
ADMIN_PREFIX = "/$admin"

_Action = Callable[[Faults, dict[str, Any]], Awaitable[object]]


def _opt_str(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None or isinstance(value, str):
        return value
    raise EmulatorError(f"{name} must be a string")


def _str(args: dict[str, Any], name: str) -> str:
    value = _opt_str(args, name)
    if not value:
        raise EmulatorError(f"{name} is required")
    return value


def _seconds(args: dict[str, Any]) -> float | None:
    value = args.get("seconds")
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return None if value is None else float(value)
    raise EmulatorError("seconds must be a number or null")


def _code(args: dict[str, Any]) -> int:
    value = args.get("code", 1011)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise EmulatorError("code must be an integer")


_ACTIONS: dict[str, _Action] = {
    "drop-control-channels": lambda f, a: f.drop_control_channels(_opt_str(a, "entity")),
    "close-control-channels": lambda f, a: f.close_control_channels(
        _code(a), _opt_str(a, "reason") or "NameRenewalFailed", _opt_str(a, "entity")
    ),
    "expire-listener-tokens": lambda f, a: f.expire_listener_tokens(_opt_str(a, "entity")),
    "set-response-delay": lambda f, a: f.set_response_delay(_seconds(a)),
    "require-sign-in-again": lambda f, a: f.require_sign_in_again(),
    "grant-role": lambda f, a: f.grant_role(_str(a, "identity"), _str(a, "role"), _str(a, "scope")),
    "revoke-role": lambda f, a: f.revoke_role(
        _str(a, "identity"), _str(a, "role"), _str(a, "scope")
    ),
}


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class AdminApi:
    """The ``/$admin`` routes of one emulator."""

    def __init__(self, ctx: RelayContext, faults: Faults, key: str) -> None:
        self._ctx = ctx
        self._faults = faults
        self._key = key

    def add_routes(self, app: web.Application) -> None:
        """Register the admin routes (before the relay's catch-all)."""
        app.router.add_post(ADMIN_PREFIX + "/faults/{name}", self.fault)
        app.router.add_get(ADMIN_PREFIX + "/listeners", self.listeners)

    def malformed_request(self, reason: str) -> web.Response:
        """400 for a request whose head cannot be read (see :mod:`.request_guard`)."""
        return _error(400, "BadRequest", reason)

    def _authorized(self, request: web.Request) -> bool:
        given = request.headers.get(ADMIN_HEADER, "")
        return hmac.compare_digest(given.encode(), self._key.encode())

    async def fault(self, request: web.Request) -> web.Response:
        """Run one fault control."""
        if not self._authorized(request):
            return _error(401, "Unauthorized", f"missing or wrong {ADMIN_HEADER} header")
        name = request.match_info["name"].replace("_", "-")
        action = _ACTIONS.get(name)
        if action is None:
            return _error(
                404, "UnknownFault", f"unknown fault {name[:60]!r}; use one of {sorted(_ACTIONS)}"
            )
        try:
            args = await _json_object(request)
            result = await action(self._faults, args)
        except EmulatorError as exc:
            return _error(400, "BadRequest", str(exc))
        return web.json_response({"ok": True, "result": result})

    async def listeners(self, request: web.Request) -> web.Response:
        """List attached listener ids per entity."""
        if not self._authorized(request):
            return _error(401, "Unauthorized", f"missing or wrong {ADMIN_HEADER} header")
        table: dict[str, list[str]] = {}
        for channel in self._ctx.hub.listeners():
            table.setdefault(channel.entity, []).append(channel.listener_id)
        return web.json_response({"listeners": table})


async def _json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty)."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested too deeply
        raise EmulatorError("the body must be a JSON object") from None
    if not isinstance(value, dict):
        raise EmulatorError("the body must be a JSON object")
    return value
