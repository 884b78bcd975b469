"""Answer relayed HTTP requests on the listener side (§7.2–7.4).

A request arrives either inline on the control channel (JSON header, then
its body as one binary message when ``body`` is true) or as an address-only
``request`` that the listener must fetch over a rendezvous socket. The
handler's reply goes back inline when its body fits in 64 KiB, else over
the rendezvous socket (§7.3: larger responses *must*). After answering over
a rendezvous the socket is closed, as the .NET SDK does (§7.4).

Handler failures never leak: an exception becomes a bare 500 and is logged;
a handler slower than ``timeout`` gets a 503 before the service's 60 s
deadline turns the request into a 504 (§7.3). A
:class:`~relaydesk.relay.policies.StreamedReply` (forwarding) is sent as
its body arrives (:mod:`relaydesk.relay.reply_stream`), and the problem it
may carry is published as an error: the listener reports it and stays online.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import http
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from types import MappingProxyType

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed as WsConnectionClosed

from relaydesk.errors import PayloadTooLarge, RelayDeskError, RemoteProtocolViolation
from relaydesk.protocol.messages import (
    INLINE_BODY_LIMIT,
    RequestCommand,
    ResponseCommand,
    encode_control_message,
    parse_control_message,
)
from relaydesk.relay.events import ErrorOccurred, Event, HttpRequestReceived, HttpResponseSent
from relaydesk.relay.failures import error_info
from relaydesk.relay.policies import HttpHandler, HttpReply, HttpRequest, StreamedReply
from relaydesk.relay.reply_stream import BodyTally, Prefetch, prefetch
from relaydesk.relay.transport import WebSocketSettings, open_websocket

__all__ = ["HOP_BY_HOP", "HttpResponder", "SendControl"]

_log = logging.getLogger(__name__)

#: RFC 7230 connection-level headers a response must not carry (§7.3).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "content-length",
        "host",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "close",
    }
)

#: Sends a JSON command and its optional body on one control channel, under
#: that channel's send lock so nothing interleaves (§4.4).
SendControl = Callable[[str, bytes | None], Awaitable[None]]


#: Sent by websockets when a message is over ``max_size`` (RFC 6455 §7.4.1).
CLOSE_MESSAGE_TOO_BIG = 1009


def _body_too_large(detail: str) -> PayloadTooLarge:
    """The listener's side of a refused rendezvous body (§7.4): the relay answers 413."""
    return PayloadTooLarge(
        413,
        f"an HTTP request body was larger than this listener accepts ({detail}), "
        "so the request was refused",
    )


def _reason(status: int, reason: str | None) -> str:
    if reason is not None:
        return reason
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _timings(started: float, head_at: float) -> dict[str, float]:
    """Hop times of a whole reply: the handler's answer, then handing it to the relay."""
    return {"handler": head_at - started, "deliver": time.monotonic() - head_at}


class HttpResponder:
    """Runs the HTTP handler for each request and delivers the reply.

    Args:
        handler: the user's handler; ``None`` answers 501 as .NET does (§11).
        ssl_context: TLS trust for rendezvous sockets.
        settings: rendezvous WebSocket settings.
        emit: publishes events.
        timeout: seconds the handler may take.
        clock: wall clock for events.
    """

    def __init__(
        self,
        handler: HttpHandler | None,
        *,
        ssl_context: ssl.SSLContext | None,
        settings: WebSocketSettings,
        emit: Callable[[Event], None],
        timeout: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._handler = handler
        self._ssl = ssl_context
        self._settings = settings
        self._emit = emit
        self._timeout = timeout
        self._clock = clock

    async def handle_inline(self, command: RequestCommand, body: bytes, send: SendControl) -> None:
        """Answer a request that came on the control channel (§7.2 shape 1)."""
        try:
            request = self._request(command, body, via_rendezvous=False)
            started = time.monotonic()
            reply = await self._run_handler(request)
            head_at = time.monotonic()
            if isinstance(reply, StreamedReply) and reply.chunks is not None:
                await self._send_streamed(
                    request, reply, started, address=command.address, send=send
                )
                return
            if len(reply.body) <= INLINE_BODY_LIMIT:
                text, payload = self._encode(request.id, reply)
                await send(text, payload)
            else:
                await self._reply_via_rendezvous(command.address, request.id, reply)
            self._sent(
                request,
                reply,
                started,
                via_rendezvous=len(reply.body) > INLINE_BODY_LIMIT,
                timings=_timings(started, head_at),
            )
        except RelayDeskError as exc:
            self._failed(exc)
        except WsConnectionClosed as exc:
            _log.info("HTTP response not delivered, the socket closed: %s", exc)

    async def handle_rendezvous(self, command: RequestCommand) -> None:
        """Fetch a rendezvous-only request over its socket and answer there (§7.4)."""
        try:
            websocket = await open_websocket(
                command.address, ssl_context=self._ssl, settings=self._settings
            )
            try:
                full, body = await self._read_request(websocket)
                request = self._request(full, body, via_rendezvous=True)
                started = time.monotonic()
                reply = await self._run_handler(request)
                head_at = time.monotonic()
                if isinstance(reply, StreamedReply) and reply.chunks is not None:
                    await self._send_streamed(request, reply, started, websocket=websocket)
                    return
                await self._reply_on(websocket, request.id, reply)
                self._sent(
                    request, reply, started, via_rendezvous=True, timings=_timings(started, head_at)
                )
            finally:
                with contextlib.suppress(Exception):
                    await websocket.close(1000, "Normal Closure")
        except RelayDeskError as exc:
            self._failed(exc)
        except WsConnectionClosed as exc:
            if exc.sent is not None and exc.sent.code == CLOSE_MESSAGE_TOO_BIG:
                self._failed(_body_too_large(exc.sent.reason))
            else:
                _log.info("rendezvous request socket closed early: %s", exc)

    # Private methods -----------------------------------------------------------

    async def _read_request(self, websocket: ClientConnection) -> tuple[RequestCommand, bytes]:
        """Read ``request`` JSON (+ body) from a rendezvous socket (§7.4)."""
        first = await websocket.recv()
        command = parse_control_message(first)
        if not isinstance(command, RequestCommand) or command.is_rendezvous_only:
            raise RemoteProtocolViolation("the rendezvous socket did not start with a request")
        body = b""
        if command.body:
            data = await websocket.recv()
            if not isinstance(data, bytes):
                raise RemoteProtocolViolation("a request body must be a binary message")
            body = data
        return command, body

    def _request(
        self, command: RequestCommand, body: bytes, *, via_rendezvous: bool
    ) -> HttpRequest:
        request = HttpRequest(
            id=command.id or "",
            method=command.method or "GET",
            target=command.request_target or "/",
            headers=command.request_headers,
            body=body,
            remote_endpoint=command.remote_endpoint,
            via_rendezvous=via_rendezvous,
        )
        self._emit(
            HttpRequestReceived(
                at=self._clock(),
                side="listener",
                request_id=request.id,
                method=request.method,
                target=request.target,
                headers=request.headers,
                body=body,
                via_rendezvous=via_rendezvous,
            )
        )
        return request

    async def _run_handler(self, request: HttpRequest) -> HttpReply:
        """Call the handler; failures become 500/503 without their text (§11)."""
        if self._handler is None:
            return HttpReply(status=501, body=b"This listener does not handle HTTP requests.")
        try:
            async with asyncio.timeout(self._timeout):
                reply = await self._handler(request)
            if isinstance(reply, StreamedReply) and reply.problem is not None:
                self._failed(reply.problem)
            return reply
        except TimeoutError:
            _log.warning(
                "HTTP handler did not answer request %s in %.0f s", request.id, self._timeout
            )
            return HttpReply(status=503, reason="Listener handler timed out")
        except Exception:  # noqa: BLE001 - user code: 500 without its text (§11)
            _log.exception("HTTP handler failed for request %s", request.id)
            return HttpReply(status=500)

    def _encode(
        self, request_id: str, reply: HttpReply, *, body_follows: bool | None = None
    ) -> tuple[str, bytes | None]:
        headers = {k: v for k, v in reply.headers.items() if k.lower() not in HOP_BY_HOP}
        command = ResponseCommand(
            request_id=request_id,
            status_code=reply.status,
            status_description=_reason(reply.status, reply.reason),
            response_headers=headers,
            body=bool(reply.body) if body_follows is None else body_follows,
        )
        return encode_control_message(command), (reply.body or None)

    async def _reply_on(
        self, websocket: ClientConnection, request_id: str, reply: HttpReply
    ) -> None:
        """Send ``response`` JSON and its body as one binary message (§7.3, §7.4)."""
        text, payload = self._encode(request_id, reply)
        await websocket.send(text)
        if payload is not None:
            await websocket.send(payload)

    async def _reply_via_rendezvous(self, address: str, request_id: str, reply: HttpReply) -> None:
        """Answer an inline request over its rendezvous: body > 64 KiB (§7.3)."""
        websocket = await open_websocket(address, ssl_context=self._ssl, settings=self._settings)
        try:
            await self._reply_on(websocket, request_id, reply)
        finally:
            with contextlib.suppress(Exception):
                await websocket.close(1000, "Normal Closure")

    async def _send_streamed(
        self,
        request: HttpRequest,
        reply: StreamedReply,
        started: float,
        *,
        address: str = "",
        send: SendControl | None = None,
        websocket: ClientConnection | None = None,
    ) -> None:
        """Send a reply whose body is still being produced (§7.3 .NET rule)."""
        assert reply.chunks is not None
        head_at = time.monotonic()
        chunks = reply.chunks
        tally = BodyTally()
        start: Prefetch | None = None
        try:
            try:
                start = await prefetch(chunks)
            except RelayDeskError as exc:  # nothing sent yet: answer 502 instead
                self._failed(exc)
                fallback = HttpReply(
                    status=502,
                    headers={"Content-Type": "text/plain; charset=utf-8"},
                    body=f"RelayDesk: {exc}\n".encode(),
                )
                await self._send_whole(request, fallback, address, send, websocket)
                self._sent(request, fallback, started, via_rendezvous=websocket is not None)
                return
            tally = start.tally
            if start.ended:
                whole = dataclasses.replace(reply, body=bytes(start.head), chunks=None)
                via = await self._send_whole(request, whole, address, send, websocket)
            else:
                via = True
                await self._stream_on(websocket, address, request.id, reply, start.rest())
        finally:
            if start is not None:
                await start.discard()
            with contextlib.suppress(Exception):
                await chunks.aclose()
        done = time.monotonic()
        timings = {
            "handler": head_at - started,
            "body": (tally.last_read_at or head_at) - head_at,
            "deliver": done - head_at,
        }
        self._sent(
            request,
            dataclasses.replace(reply, body=bytes(tally.captured), chunks=None),
            started,
            via_rendezvous=via,
            body_size=tally.size,
            timings=timings,
        )

    async def _send_whole(
        self,
        request: HttpRequest,
        reply: HttpReply,
        address: str,
        send: SendControl | None,
        websocket: ClientConnection | None,
    ) -> bool:
        """Send a complete reply on the socket it belongs to; True if via rendezvous."""
        if websocket is not None:
            await self._reply_on(websocket, request.id, reply)
            return True
        if len(reply.body) <= INLINE_BODY_LIMIT and send is not None:
            text, payload = self._encode(request.id, reply)
            await send(text, payload)
            return False
        await self._reply_via_rendezvous(address, request.id, reply)
        return True

    async def _stream_on(
        self,
        websocket: ClientConnection | None,
        address: str,
        request_id: str,
        reply: HttpReply,
        body: AsyncIterator[bytes],
    ) -> None:
        """``response`` then the body as one fragmented binary message (§7.3, §7.4).

        A body that fails half-way aborts the message (close 1011): the
        status has already gone, so the relay can only drop the sender.
        """
        own = websocket is None
        if websocket is None:
            websocket = await open_websocket(
                address, ssl_context=self._ssl, settings=self._settings
            )
        try:
            text, _ = self._encode(request_id, reply, body_follows=True)
            await websocket.send(text)
            await websocket.send(body)
        finally:
            if own:
                with contextlib.suppress(Exception):
                    await websocket.close(1000, "Normal Closure")

    def _sent(
        self,
        request: HttpRequest,
        reply: HttpReply,
        started: float,
        *,
        via_rendezvous: bool,
        body_size: int | None = None,
        timings: dict[str, float] | None = None,
    ) -> None:
        self._emit(
            HttpResponseSent(
                at=self._clock(),
                side="listener",
                request_id=request.id,
                status=reply.status,
                headers=reply.headers,
                body=reply.body,
                via_rendezvous=via_rendezvous,
                elapsed=time.monotonic() - started,
                body_size=body_size,
                timings=MappingProxyType(timings or {}),
            )
        )

    def _failed(self, exc: RelayDeskError) -> None:
        _log.info("could not answer an HTTP request: %s", exc)
        self._emit(
            ErrorOccurred(at=self._clock(), side="listener", error=error_info(exc, side="listener"))
        )
