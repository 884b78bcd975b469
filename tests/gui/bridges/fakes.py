"""Small in-memory sessions that publish core events, for bridge tests.

They follow the relay client's contract the bridges rely on: ``events()``
streams until ``stop()`` (or the end of the session), and a failing
``start()`` may or may not have published an ``ErrorOccurred`` first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from relaydesk.errors import Forbidden
from relaydesk.relay.events import ConnectionState, Event, StateChanged


class FakeSession:
    """A listener/sender session driven by the test."""

    def __init__(
        self,
        *,
        side: str = "listener",
        fail_with: Exception | None = None,
        report_failure: bool = False,
    ) -> None:
        self.side = side
        self.listener_id = "11111111-2222-3333-4444-555555555555"
        self.fail_with = fail_with
        self.report_failure = report_failure
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.started = False
        self.stopped = False
        self.sent: list[tuple[str | None, str | bytes]] = []
        self.closed_connections: list[str] = []

    def publish(self, event: Event) -> None:
        self.queue.put_nowait(event)

    def end(self) -> None:
        self.queue.put_nowait(None)

    async def events(self) -> AsyncIterator[Event]:
        while (event := await self.queue.get()) is not None:
            yield event

    async def start(self) -> None:
        self.publish(StateChanged(at=0.0, side=self.side, state=ConnectionState.CONNECTING))  # type: ignore[arg-type]
        if self.fail_with is not None:
            if self.report_failure:
                from relaydesk.relay.events import ErrorInfo, ErrorOccurred

                info = ErrorInfo("Forbidden", "reported by the core", "core remedy", 403)
                self.publish(ErrorOccurred(at=0.0, side=self.side, error=info))  # type: ignore[arg-type]
            self.publish(StateChanged(at=0.0, side=self.side, state=ConnectionState.OFFLINE))  # type: ignore[arg-type]
            self.end()
            raise self.fail_with
        self.started = True
        self.publish(StateChanged(at=0.0, side=self.side, state=ConnectionState.ONLINE))  # type: ignore[arg-type]

    async def stop(self) -> None:
        self.stopped = True
        self.publish(StateChanged(at=0.0, side=self.side, state=ConnectionState.OFFLINE))  # type: ignore[arg-type]
        self.end()

    # listener-only
    async def send(
        self, connection_id_or_data: str | bytes, data: str | bytes | None = None
    ) -> None:
        if data is None:
            self.sent.append((None, connection_id_or_data))
        else:
            self.sent.append((str(connection_id_or_data), data))

    async def close_connection(self, connection_id: str) -> None:
        self.closed_connections.append(connection_id)


def forbidden() -> Forbidden:
    return Forbidden(403, "The token lacks Send on /demo")
