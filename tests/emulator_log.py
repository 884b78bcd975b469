"""The emulator's log lines, awaitable, for tests in every package.

The emulator logs each thing it did (a listener attached or detached, a
sender gone, a request relayed); a test waits for that line instead of
sleeping for a while and hoping it happened. ``tests/conftest.py`` makes the
``emulator_log`` fixture available everywhere.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest


class EmulatorLog(logging.Handler):
    """The emulator's log lines, awaitable.

    The emulator logs each thing it did (a listener attached or detached, a
    request relayed); a test waits for that line instead of sleeping for a
    while and hoping it happened.
    """

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        loop = self._loop  # the waiter's; the emulator may run on another thread's loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._changed.set)

    def count(self, text: str) -> int:
        """How many lines so far contain ``text``."""
        return sum(text in line for line in self.lines)

    async def wait_for(self, text: str, count: int = 1, *, within: float = 20.0) -> None:
        """Return once ``count`` lines containing ``text`` were logged; fail after ``within`` s."""
        self._loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(within):
                while self.count(text) < count:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            pytest.fail(f"the emulator logged {text!r} {self.count(text)} times, not {count}")


@pytest.fixture
def emulator_log() -> Iterator[EmulatorLog]:
    """Records what every emulator of the test logs at INFO and above."""
    from relaydesk.emulator.server import LOGGER_NAME  # only for tests that ask

    logger = logging.getLogger(LOGGER_NAME)
    handler = EmulatorLog()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)
