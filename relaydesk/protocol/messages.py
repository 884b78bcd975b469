"""Control-channel messages ⇄ frozen dataclasses (protocol §4.4, §5.1, §7.2, §7.3, §4.6).

Every command is one text WebSocket message holding a JSON object with one
top-level key: ``accept`` and ``request`` travel service → listener,
``response`` and ``renewToken`` listener → service. Both directions parse
here: the client parses ``accept``/``request``, the emulator parses
``response``/``renewToken``.

Top-level keys (§4.4 says "exactly one"): an object with exactly one *known*
key is that command; unknown keys next to it are ignored (forward
compatible, as the .NET SDK ignores unknown properties); two or more known
keys are a :class:`RemoteProtocolViolation` (the SDKs would silently pick one,
we refuse the ambiguity); an object with only unknown keys becomes
:class:`UnknownCommand` (§4.4: unknown commands are ignored).

Duplicate names inside any JSON object are a violation too (ambiguous), as
are ``NaN``/``Infinity`` (not JSON) and ``\\ud800``-style escapes of a lone
surrogate (RFC 8259 §8.2: not text; no header, address or token can carry it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from relaydesk.errors import RemoteProtocolViolation
from relaydesk.protocol.headers import Headers
from relaydesk.protocol.text import is_text

__all__ = [
    "INLINE_BODY_LIMIT",
    "AcceptCommand",
    "ControlMessage",
    "Headers",
    "RemoteEndpoint",
    "RenewTokenCommand",
    "RequestCommand",
    "ResponseCommand",
    "UnknownCommand",
    "encode_control_message",
    "parse_control_message",
]

#: Largest HTTP body (request or response) that may travel inline on the
#: control channel; larger ones need the rendezvous socket (§7.2, §7.3, §8).
INLINE_BODY_LIMIT = 65536


def _frozen_headers(headers: Mapping[str, str]) -> Headers:
    """A read-only copy, so a frozen message cannot change under its owner."""
    return headers if isinstance(headers, Headers) else Headers(headers)


@dataclass(frozen=True)
class RemoteEndpoint:
    """The sender's IP address and port (``remoteEndpoint``; SDK-.NET contract)."""

    address: str
    port: int


@dataclass(frozen=True)
class AcceptCommand:
    """``accept``: a WebSocket sender wants a connection (§5.1).

    Attributes:
        address: rendezvous URL; connect to it verbatim (§5.2).
        id: connection id (the sender's ``sb-hc-id`` when given).
        connect_headers: the sender's upgrade request headers (read-only).
        remote_endpoint: sender address, when the service sends it.
    """

    address: str
    id: str
    connect_headers: Mapping[str, str] = field(default_factory=dict)
    remote_endpoint: RemoteEndpoint | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "connect_headers", _frozen_headers(self.connect_headers))


@dataclass(frozen=True)
class RequestCommand:
    """``request``: an HTTP request for the listener (§7.2).

    Two shapes: inline (everything present) and rendezvous-only (just
    ``address``; the full request then arrives over the rendezvous socket).
    """

    address: str
    id: str | None = None
    request_target: str | None = None
    method: str | None = None
    request_headers: Mapping[str, str] = field(default_factory=dict)
    remote_endpoint: RemoteEndpoint | None = None
    body: bool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "request_headers", _frozen_headers(self.request_headers))

    @property
    def is_rendezvous_only(self) -> bool:
        """True when ``method`` and ``body`` are both absent (§7.2 [EMU]).

        .NET keys on ``body`` alone and Node on ``method`` alone; requiring
        both absent agrees with either SDK on every message the service sends.
        """
        return self.method is None and self.body is None


@dataclass(frozen=True)
class ResponseCommand:
    """``response``: the listener's answer to a request (§7.3)."""

    request_id: str
    status_code: int
    status_description: str | None = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    body: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "response_headers", _frozen_headers(self.response_headers))


@dataclass(frozen=True)
class RenewTokenCommand:
    """``renewToken``: replace the control channel's token (§4.6).

    The token never appears in ``repr``.
    """

    token: str = field(repr=False)

    def __repr__(self) -> str:
        return "RenewTokenCommand(token=<redacted>)"


@dataclass(frozen=True)
class UnknownCommand:
    """A command with a key this version does not know; to be ignored (§4.4)."""

    key: str


ControlMessage = (
    AcceptCommand | RequestCommand | ResponseCommand | RenewTokenCommand | UnknownCommand
)


# --- parsing -------------------------------------------------------------------


def _violation(message: str) -> RemoteProtocolViolation:
    return RemoteProtocolViolation(message)


def _reject_constant(name: str) -> Any:
    raise _violation(f"control message contains {name}, which is not JSON")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _violation(f"control message repeats the field {name!r}")
        result[name] = value
    return result


def _load_json(data: str | bytes) -> Any:
    """Decode UTF-8 (when bytes) and JSON, mapping every failure to a violation."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise _violation("control message is not valid UTF-8") from None
    if not isinstance(data, str):
        raise _violation("control message must be text")
    if not is_text(data):
        raise _violation("control message is not valid text (a lone surrogate)")
    try:
        document = json.loads(
            data, object_pairs_hook=_unique_pairs, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        raise _violation(f"control message is not valid JSON ({exc.msg} at {exc.pos})") from None
    except RecursionError:
        raise _violation("control message is nested too deeply") from None
    except ValueError:
        # e.g. an integer literal beyond Python's int-conversion digit limit
        raise _violation("control message contains an unreadable number") from None
    _check_strings(document)
    return document


def _check_strings(document: Any) -> None:
    """Refuse a name or string decoded from a lone-surrogate escape (``"\\ud800"``).

    Iterative, so a document as deep as ``json`` accepts cannot overflow the stack.
    """
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and not is_text(value):
            raise _violation("control message holds a lone surrogate escape, which is not text")


class _Fields:
    """Typed access to one command object; every failure is a violation."""

    def __init__(self, command: str, values: dict[str, Any]) -> None:
        self.command = command
        self.values = values

    def _fail(self, name: str, expected: str) -> RemoteProtocolViolation:
        return _violation(f"{self.command}.{name} must be {expected}")

    def opt_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        raise self._fail(name, "a string")

    def req_str(self, name: str) -> str:
        value = self.opt_str(name)
        if value is None:
            raise _violation(f"{self.command}.{name} is missing")
        return value

    def opt_bool(self, name: str) -> bool | None:
        value = self.values.get(name)
        if value is None or isinstance(value, bool):
            return value
        raise self._fail(name, "true or false")

    def headers(self, name: str) -> Headers:
        value = self.values.get(name)
        if value is None:
            return Headers()
        if not isinstance(value, dict):
            raise self._fail(name, "an object of strings")
        for key, item in value.items():
            if not isinstance(item, str):
                # Name only the header, never its value (it may be a token).
                raise _violation(f"{self.command}.{name}[{key!r}] must be a string")
        return Headers(value)

    def endpoint(self, name: str) -> RemoteEndpoint | None:
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._fail(name, "an object {address, port}")
        address, port = value.get("address"), value.get("port")
        if not isinstance(address, str):
            raise self._fail(f"{name}.address", "a string")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise self._fail(f"{name}.port", "an integer from 0 to 65535")
        return RemoteEndpoint(address=address, port=port)

    def status_code(self, name: str) -> int:
        """A number, or a numeric string as in the doc example (§7.3)."""
        value = self.values.get(name)
        if value is None:
            raise _violation(f"{self.command}.{name} is missing")
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) == 3:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 999:
            raise self._fail(name, "a status code from 100 to 999")
        return value


def _parse_accept(f: _Fields) -> AcceptCommand:
    return AcceptCommand(
        address=f.req_str("address"),
        id=f.req_str("id"),
        connect_headers=f.headers("connectHeaders"),
        remote_endpoint=f.endpoint("remoteEndpoint"),
    )


def _parse_request(f: _Fields) -> RequestCommand:
    command = RequestCommand(
        address=f.req_str("address"),
        id=f.opt_str("id"),
        request_target=f.opt_str("requestTarget"),
        method=f.opt_str("method"),
        request_headers=f.headers("requestHeaders"),
        remote_endpoint=f.endpoint("remoteEndpoint"),
        body=f.opt_bool("body"),
    )
    if not command.is_rendezvous_only:
        # An inline request must be answerable: its id, target and method.
        f.req_str("id")
        f.req_str("requestTarget")
        f.req_str("method")
    return command


def _parse_response(f: _Fields) -> ResponseCommand:
    body = f.opt_bool("body")
    if body is None:
        raise _violation("response.body is missing")
    return ResponseCommand(
        request_id=f.req_str("requestId"),
        status_code=f.status_code("statusCode"),
        status_description=f.opt_str("statusDescription"),
        response_headers=f.headers("responseHeaders"),
        body=body,
    )


def _parse_renew_token(f: _Fields) -> RenewTokenCommand:
    token = f.req_str("token")
    if not token:
        raise _violation("renewToken.token is empty")
    return RenewTokenCommand(token=token)


_PARSERS: dict[str, Callable[[_Fields], ControlMessage]] = {
    "accept": _parse_accept,
    "request": _parse_request,
    "response": _parse_response,
    "renewToken": _parse_renew_token,
}


def parse_control_message(data: str | bytes) -> ControlMessage:
    """Parse one control-channel text message (§4.4).

    Args:
        data: the text frame (``bytes`` are decoded as UTF-8).

    Returns:
        The command; :class:`UnknownCommand` for keys this version does not
        know (callers ignore it, as the SDKs do).

    Raises:
        RemoteProtocolViolation: malformed JSON, not an object, no key, two
            known keys, wrong field types, missing required fields. The
            message names the field, never a token or header value.
    """
    document = _load_json(data)
    if not isinstance(document, dict):
        raise _violation("control message must be a JSON object")
    known = [key for key in document if key in _PARSERS]
    if len(known) > 1:
        raise _violation(f"control message has several commands: {', '.join(known)}")
    if not known:
        if not document:
            raise _violation("control message is an empty object")
        return UnknownCommand(key=next(iter(document)))
    key = known[0]
    values = document[key]
    if not isinstance(values, dict):
        raise _violation(f"{key} must be a JSON object")
    return _PARSERS[key](_Fields(key, values))


# --- encoding --------------------------------------------------------------------


def _endpoint_json(endpoint: RemoteEndpoint) -> dict[str, Any]:
    return {"address": endpoint.address, "port": endpoint.port}


def _command_body(message: ControlMessage) -> tuple[str, dict[str, Any]]:
    """The top-level key and its object, field names as in §5.1/§7.2/§7.3/§4.6."""
    if isinstance(message, AcceptCommand):
        body: dict[str, Any] = {
            "address": message.address,
            "id": message.id,
            "connectHeaders": dict(message.connect_headers),
        }
        if message.remote_endpoint is not None:
            body["remoteEndpoint"] = _endpoint_json(message.remote_endpoint)
        return "accept", body
    if isinstance(message, RequestCommand):
        return "request", _request_body(message)
    if isinstance(message, ResponseCommand):
        body = {"requestId": message.request_id, "statusCode": message.status_code}
        if message.status_description is not None:
            body["statusDescription"] = message.status_description
        body["responseHeaders"] = dict(message.response_headers)
        body["body"] = message.body
        return "response", body
    if isinstance(message, RenewTokenCommand):
        return "renewToken", {"token": message.token}
    return message.key, {}


def _request_body(message: RequestCommand) -> dict[str, Any]:
    """Only the fields that are set: a rendezvous-only request is just ``address``."""
    body: dict[str, Any] = {"address": message.address}
    optional = {
        "id": message.id,
        "requestTarget": message.request_target,
        "method": message.method,
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    if message.request_headers or not message.is_rendezvous_only:
        body["requestHeaders"] = dict(message.request_headers)
    if message.remote_endpoint is not None:
        body["remoteEndpoint"] = _endpoint_json(message.remote_endpoint)
    if message.body is not None:
        body["body"] = message.body
    return body


def encode_control_message(message: ControlMessage) -> str:
    """Encode a command as compact JSON text (one WebSocket text message).

    Field names are exactly the wire names (§5.1, §7.2, §7.3, §4.6); absent
    optional fields are omitted rather than sent as ``null``. Non-ASCII is
    escaped so the text is safe for any peer.
    """
    key, body = _command_body(message)
    return json.dumps({key: body}, separators=(",", ":"))
