"""GUI test setup: a qasync loop for async tests, isolation, loop-error collection.

* Async tests (``@pytest.mark.asyncio``) run on a ``qasync.QEventLoop``
  through pytest-asyncio's ``pytest_asyncio_loop_factories`` hook (platform
  notes, "Testing GUI + asyncio"). Errors reaching that loop's exception
  handler are collected and fail the test at teardown.
* Every test gets its own config directory (profiles, window.ini) and
  keyring's always-failing backend, so no test touches the user's files or
  keyring; a test that wants a keyring installs one.
* Never ``qtbot.waitSignal`` inside a coroutine; use :func:`wait_signal` or
  :func:`until` from here.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

#: Loop exception-handler contexts seen during the current test.
LOOP_PROBLEMS: list[dict[str, Any]] = []

#: Generous bound for anything a GUI test waits for.
TIMEOUT = 20.0 * float(os.environ.get("RELAYDESK_TEST_TIMEOUT_FACTOR", "1"))


def _qasync_loop() -> asyncio.AbstractEventLoop:
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    # As in gui/app.py: closing the last window must not make Qt quit (which
    # would stop this loop under the running test, platform notes).
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    loop.set_exception_handler(lambda _loop, context: LOOP_PROBLEMS.append(context))
    return loop


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Any]:
    """Run this directory's async tests on qasync's loop."""
    return {"qasync": _qasync_loop}


@pytest.fixture(autouse=True)
def _fail_on_loop_errors() -> Iterator[None]:
    LOOP_PROBLEMS.clear()
    yield
    problems = [dict(p) for p in LOOP_PROBLEMS]
    LOOP_PROBLEMS.clear()
    assert not problems, f"errors reached the event loop's exception handler: {problems}"


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("RELAYDESK_CONFIG_DIR", str(config))
    return config


@pytest.fixture(autouse=True)
def _no_keyring() -> Iterator[None]:
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def emulator_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One emulator data dir (CA, keys, secrets) shared by the session's tests."""
    return tmp_path_factory.mktemp("emulator")


async def until(predicate: Callable[[], bool], what: str, within: float = TIMEOUT) -> None:
    """Poll ``predicate`` every 20 ms until true; fail the test after ``within`` s."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_signal(signal: Any, within: float = TIMEOUT) -> tuple[Any, ...]:
    """Await one emission of a Qt signal through an asyncio future."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def done(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    signal.connect(done)
    try:
        async with asyncio.timeout(within):
            return await future
    finally:
        signal.disconnect(done)
