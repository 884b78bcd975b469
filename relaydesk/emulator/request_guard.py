"""The emulator's front door: a request head must be readable before a handler sees it.

aiohttp decodes header fields as UTF-8 with ``surrogateescape`` and leaves
the rest to the handlers, so a byte that is not UTF-8 arrives as a lone
surrogate and fails wherever text is finally encoded: yarl's IDNA encoding
of ``Host`` (``request.url``), ``base64.b64decode`` of the
``Sec-WebSocket-Key`` in aiohttp's handshake, an HMAC comparison, the JSON
forwarded to a listener (§5.1, §7.2). Each of those answered 500.

This middleware is the one place where the head is finished decoding. A
request is refused with **400**, in the dialect of the endpoint it was routed
to, when:

* ``Host`` is not a host name or IP literal with an optional port (the rule
  is the protocol core's, :func:`relaydesk.protocol.address.split_host_port`,
  so names longer than DNS allows are refused too); Azure's front end answers
  "400 Bad Request - Invalid Hostname". A missing or repeated ``Host`` never
  gets here: aiohttp's parser refuses it (RFC 9112 §3.2);
* a header value is not UTF-8 text. [EMU] Azure's handling of such bytes is
  unknown; the emulator refuses what it cannot forward to a listener as JSON
  text, since being stricter than the service cannot make a client bug look
  like success;
* a WebSocket upgrade carries a ``Sec-WebSocket-Key`` that is not the base64
  of 16 bytes (RFC 6455 §4.2.1).

What aiohttp's own parser refuses (a byte that is not ASCII in the request
line, a header name that is not a token) it answers 400 itself, and logs as
an ERROR with a traceback and the raw line, sb-hc-token included:
:func:`http_logger` makes that one INFO line without the raw bytes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler, Middleware

from relaydesk.errors import InvalidAddress
from relaydesk.protocol.address import split_host_port
from relaydesk.protocol.text import is_text

__all__ = ["HTTP_LOGGER_NAME", "Refusal", "head_problem", "http_logger", "request_guard"]

#: The logger the emulator's HTTP server (aiohttp's request handler) logs to.
HTTP_LOGGER_NAME = "relaydesk.emulator.http"

#: Builds the 400 answer for a request whose head is unreadable, given why.
Refusal = Callable[[web.Request, str], web.StreamResponse]

#: base64 of 16 bytes: 22 characters and "==" (RFC 6455 §4.2.1 item 5).
_WEBSOCKET_KEY_RE = re.compile(r"[A-Za-z0-9+/]{22}==\Z")


def head_problem(request: web.Request) -> str | None:
    """Why the head of ``request`` cannot be read as text, or ``None``."""
    headers = request.headers
    for name, value in headers.items():
        if not is_text(value):
            return f"The value of the header '{name}' is not UTF-8 text."
    host = headers.get("Host")
    try:
        if host is not None:  # HTTP/1.0 may omit it
            split_host_port(host.strip())
    except InvalidAddress:
        return "Bad Request - Invalid Hostname."
    if "websocket" in headers.get("Upgrade", "").lower():
        key = headers.get("Sec-WebSocket-Key")
        if key is not None and not _WEBSOCKET_KEY_RE.match(key.strip()):
            return "Invalid WebSocket handshake: Sec-WebSocket-Key is not base64 of 16 bytes."
    return None


def request_guard(refuse: Refusal) -> Middleware:
    """An aiohttp middleware that answers ``refuse(request, why)`` for an unreadable head.

    Args:
        refuse: builds the 400 in the dialect of the endpoint the request was
            routed to (relay, Entra or admin); routing has happened when a
            middleware runs, so ``request.match_info`` tells which.
    """

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        problem = head_problem(request)
        if problem is not None:
            return refuse(request, problem)
        return await handler(request)

    return guard


class _ParserRefusals(logging.Filter):
    """Turn aiohttp's ERROR + traceback for a request its parser refused into one INFO line.

    The client sent a malformed request and got a 400: that is no error of the
    emulator's. The exception's text quotes the raw request line or header,
    which may hold a token, so only its first line (the kind of fault) is kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            kind = str(exc.message).splitlines()[0].strip().rstrip(":") if exc.message else ""
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            record.msg, record.args = "refused a malformed request: %s %s", (exc.code, kind)
            record.exc_info, record.exc_text = None, None
        return True


def http_logger() -> logging.Logger:
    """The logger to give aiohttp's request handler (``AppRunner(logger=…)``)."""
    logger = logging.getLogger(HTTP_LOGGER_NAME)
    if not any(isinstance(f, _ParserRefusals) for f in logger.filters):
        logger.addFilter(_ParserRefusals())
    return logger
