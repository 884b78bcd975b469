"""Raw HTTP/1.1 and WebSocket frames over TLS, for requests a client library would fix.

aiohttp and websockets normalise what they send (header encoding, the
``Sec-WebSocket-Key``, masking, close codes), so hostile requests are written
byte for byte here. Blocking sockets, so Hypothesis tests can drive them
against an emulator on its own event loop thread
(:class:`tests.cli.conftest.EmulatorThread`).
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import struct
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

__all__ = [
    "GOOD_KEY",
    "RawResponse",
    "ServerErrors",
    "exchange",
    "request_bytes",
    "ws_frame",
]

#: Seconds any one raw exchange may take before the test fails (a hang).
TIMEOUT = 20.0

#: A valid key: base64 of 16 bytes (RFC 6455 §4.2.1).
GOOD_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


@dataclass(frozen=True)
class RawResponse:
    """A parsed HTTP response head and body, plus what followed (WebSocket frames)."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    after: bytes = b""


def request_bytes(
    method: str | bytes,
    target: str | bytes,
    headers: list[tuple[str | bytes, str | bytes]],
    body: bytes = b"",
) -> bytes:
    """``METHOD target HTTP/1.1`` + headers + body, each part used as given."""

    def raw(value: str | bytes) -> bytes:
        return value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")

    lines = [raw(method) + b" " + raw(target) + b" HTTP/1.1"]
    lines += [raw(name) + b": " + raw(value) for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def ws_frame(
    opcode: int, payload: bytes = b"", *, fin: bool = True, masked: bool = True, rsv: int = 0
) -> bytes:
    """One WebSocket frame (RFC 6455 §5.2); clients must mask, so ``masked`` by default."""
    head = bytes([(0x80 if fin else 0) | (rsv & 0x7) << 4 | (opcode & 0xF)])
    mask_bit = 0x80 if masked else 0
    size = len(payload)
    if size < 126:
        head += bytes([mask_bit | size])
    elif size < 65536:
        head += bytes([mask_bit | 126]) + struct.pack("!H", size)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", size)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def exchange(port: int, context: ssl.SSLContext, data: bytes, *, then: bytes = b"") -> RawResponse:
    """Send ``data`` on a fresh TLS connection and read one response.

    After a ``101`` the bytes ``then`` (WebSocket frames) are sent and
    everything the server sends until it closes is kept in ``after``.
    """
    with (
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as plain,
        context.wrap_socket(plain, server_hostname="127.0.0.1") as sock,
    ):
        sock.sendall(data)
        reader = _Reader(sock)
        status, reason, headers = reader.head()
        if status == 101:
            with suppress(ConnectionError, ssl.SSLError):  # the server may close first
                sock.sendall(then)
            return RawResponse(status, reason, headers, b"", reader.rest())
        if data.startswith(b"HEAD "):
            return RawResponse(status, reason, headers, b"")
        return RawResponse(status, reason, headers, reader.body(status, headers))


class _Reader:
    """Buffered reads from a socket until a delimiter, a length, or EOF."""

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self._sock = sock
        self._buffer = b""

    def _fill(self) -> bool:
        try:
            chunk = self._sock.recv(65536)
        except (ConnectionError, ssl.SSLError):
            chunk = b""
        self._buffer += chunk
        return bool(chunk)

    def head(self) -> tuple[int, str, dict[str, str]]:
        while b"\r\n\r\n" not in self._buffer:
            if not self._fill():
                raise AssertionError(f"the server closed without a response: {self._buffer!r}")
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        _version, status, *reason = status_line.split(" ", 2)
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(status), (reason or [""])[0], headers

    def body(self, status: int, headers: dict[str, str]) -> bytes:
        if status in (204, 304):
            return b""
        if "content-length" in headers:
            size = int(headers["content-length"])
            while len(self._buffer) < size and self._fill():
                pass
            return self._buffer[:size]
        return self.rest()

    def rest(self) -> bytes:
        while self._fill():
            pass
        return self._buffer


class ServerErrors(logging.Handler):
    """Collects the ERROR records of the emulator and aiohttp (and ``level`` and above).

    aiohttp logs a handler's unexpected exception ("Error handling request")
    before answering 500, and an exception after a WebSocket upgrade never
    becomes a status at all: this is how a test sees both. (A request aiohttp's
    parser refuses is one INFO line: ``request_guard.http_logger``.)
    """

    def __init__(self, level: int = logging.ERROR) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @contextmanager
    def watching(self) -> Iterator[ServerErrors]:
        loggers = [logging.getLogger(n) for n in ("aiohttp", "relaydesk", "asyncio")]
        for logger in loggers:
            logger.addHandler(self)
        try:
            yield self
        finally:
            for logger in loggers:
                logger.removeHandler(self)

    def summary(self) -> list[str]:
        return [
            f"{r.name}: {r.getMessage()} ({r.exc_info and r.exc_info[1]!r})" for r in self.records
        ]
