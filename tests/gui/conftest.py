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
* End a test only once its network work has settled (wait for the event that
  says so, e.g. ONLINE *after* RECONNECTING, not a state that was already
  true). Between the test and its async fixtures' teardown pytest-qt
  processes Qt events while no asyncio loop runs: a TLS handshake finishing
  then fails in websockets' ``connection_made`` ("no running event loop").
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

#: Loop exception-handler contexts seen during the current test.
LOOP_PROBLEMS: list[dict[str, Any]] = []

#: Generous bound for anything a GUI test waits for.
TIMEOUT = 20.0 * float(os.environ.get("RELAYDESK_TEST_TIMEOUT_FACTOR", "1"))


#: qasync loops created for tests; closed ones are reaped in the GUI thread.
_LOOPS: list[Any] = []


def _reap_closed_loops() -> None:
    """Delete closed loops' timer objects now, in this (the GUI) thread.

    ``QEventLoop.close()`` only flags its timer object as stopped: its Qt
    timers stay registered until they fire. If the loop were later freed by a
    garbage-collection pass running in a worker thread (``asyncio.to_thread``,
    MSAL's HTTP), the timer object would be deleted there, its timers could
    not be unregistered, and a later timer event would hit freed memory (a
    segfault in ``QTimerInfoList::activateTimers`` several tests later).
    """
    import shiboken6

    for loop in list(_LOOPS):
        if not loop.is_closed():
            continue
        _LOOPS.remove(loop)
        timer = getattr(loop, "_timer", None)
        if timer is not None and shiboken6.isValid(timer):
            shiboken6.delete(timer)
    gc.collect()


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
    _LOOPS.append(loop)
    return loop


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Any]:
    """Run this directory's async tests on qasync's loop."""
    return {"qasync": _qasync_loop}


@pytest.fixture(autouse=True)
def _fail_on_loop_errors() -> Iterator[None]:
    _reap_closed_loops()  # the previous test's loop is closed by now
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


class FakeFileDialog:
    """Stands in for QFileDialog in tests.

    A real non-native QFileDialog shown in this long-lived test process was
    followed, several tests later, by a segfault in Qt's timer dispatch
    (QTimerInfoList::activateTimers); the fake checks the wiring instead.
    """

    instances: ClassVar[list[FakeFileDialog]] = []
    FileMode: ClassVar[Any] = None  # set below from the real class
    AcceptMode: ClassVar[Any] = None

    def __init__(self, *_args: object) -> None:
        self.modality = None
        self.shown = False
        self.delete_on_close = False
        self.fileSelected = _Hook()
        self.finished = _Hook()
        FakeFileDialog.instances.append(self)

    def setFileMode(self, _mode: object) -> None:
        pass

    def setAcceptMode(self, _mode: object) -> None:
        pass

    def setDefaultSuffix(self, _suffix: str) -> None:
        pass

    def setNameFilters(self, _filters: list[str]) -> None:
        pass

    def setWindowModality(self, modality: object) -> None:
        self.modality = modality

    def setAttribute(self, _attribute: object) -> None:
        self.delete_on_close = True

    def show(self) -> None:
        self.shown = True

    def open(self) -> None:
        raise AssertionError("open() would be window-modal")

    def exec(self) -> None:
        raise AssertionError("exec() would block the event loop")


class _Hook:
    def __init__(self) -> None:
        self.slots: list[object] = []

    def connect(self, slot: object) -> None:
        self.slots.append(slot)

    def emit(self, *args: object) -> None:
        for slot in self.slots:
            slot(*args)  # type: ignore[operator]


def _mirror_enums() -> None:
    from PySide6.QtWidgets import QFileDialog

    FakeFileDialog.FileMode = QFileDialog.FileMode
    FakeFileDialog.AcceptMode = QFileDialog.AcceptMode


_mirror_enums()
