"""Start the desktop app on a qasync event loop (the only module importing qasync).

Quit is owned by our coroutine, not by Qt (platform notes, "Shutdown"):
``setQuitOnLastWindowClosed(False)``; closing the main window sets an
``asyncio.Event``; the main coroutine awaits it, then shuts the listener,
sender and embedded emulator down (close frames sent, bounded by a couple of
seconds) and returns, which ends the loop. On Python 3.11 ``qasync.run``
installs an event-loop policy (``asyncio.run(loop_factory=)`` is 3.12+).

Unexpected exceptions (``sys.excepthook`` and the loop's exception handler)
are logged and shown in a non-modal "Something went wrong" dialog
(:mod:`relaydesk.gui.unexpected_errors`), never swallowed.

Start-up: the window's frame is shown and painted before anything heavy is
imported: asyncio and qasync (imported here, inside the functions), the relay
core and the panes (built by ``MainWindow.build`` on the running loop), msal,
keyring, aiohttp and the emulator (imported lazily by the parts that need
them). ``benchmarks/gui_startup.py`` measures both moments.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relaydesk.gui.idle_collector import IdleCollector

__all__ = [
    "DISPLAY_LOST_EXIT",
    "NO_DISPLAY_EXIT",
    "SHUTDOWN_GRACE",
    "collect_when_idle",
    "freeze_startup_objects",
    "main_coroutine",
    "run_gui",
]

log = logging.getLogger(__name__)

#: Seconds allowed for closing everything after the window closes.
SHUTDOWN_GRACE = 2.0
#: Exit code when there is no display to open the window on (usage-like: 2).
NO_DISPLAY_EXIT = 2
#: Exit code when the display went away under the running app.
DISPLAY_LOST_EXIT = 1
#: qasync's words when Qt's loop stopped under a running coroutine (platform notes).
_LOOP_STOPPED = "Event loop stopped before Future completed."


def run_gui(args: argparse.Namespace) -> int:
    """Open the main window and run the Qt + asyncio loop until it closes.

    The window's frame is shown and painted first, before asyncio, qasync
    and the relay core are imported; the panes are built on the loop right
    after (see :mod:`relaydesk.gui.main_window`).

    Args:
        args: parsed options (``demo``, ``self_test``, ``screenshot``,
            ``token_lifetime``, ``profile``).

    Returns:
        The process exit code (the self-test's result with ``--self-test``).
    """
    from relaydesk.gui.session_bus import prevent_bus_autolaunch

    prevent_bus_autolaunch(os.environ)  # before Qt loads libdbus
    from relaydesk.gui.display import display_problem

    problem = display_problem(os.environ)
    if problem is not None:  # before Qt, which would abort with a misleading hint
        print(problem, file=sys.stderr)
        return NO_DISPLAY_EXIT
    import gc

    # Start-up makes modules, classes, widgets and their wrappers that live as
    # long as the window: the ~70 automatic collections until the panes are
    # built would walk them and free nothing (~5 ms). They are frozen after
    # the build and collections resume (freeze_startup_objects).
    collecting = gc.isenabled()
    gc.disable()
    from PySide6.QtWidgets import QApplication

    from relaydesk.gui.app_logging import configure_logging
    from relaydesk.gui.main_window import MainWindow
    from relaydesk.gui.resources import app_icon
    from relaydesk.gui.unexpected_errors import UnexpectedErrorReporter

    configure_logging()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("RelayDesk")
    app.setOrganizationName("RelayDesk")
    app.setQuitOnLastWindowClosed(False)  # we quit after the async clean-up
    app.setWindowIcon(app_icon())  # type: ignore[arg-type]
    reporter = UnexpectedErrorReporter()
    reporter.install()
    try:
        window = MainWindow(token_lifetime=getattr(args, "token_lifetime", None), build=False)
        reporter.set_parent(lambda: window)
        window.show()
        app.processEvents()  # paint the frame before the heavy imports below
        import qasync

        try:
            return int(qasync.run(main_coroutine(args, reporter, window)))
        except RuntimeError as exc:
            if str(exc) != _LOOP_STOPPED:
                raise
            # Qt quit by itself (we never do: setQuitOnLastWindowClosed(False)):
            # the display went away, e.g. the X server died or the session ended.
            log.info("Qt ended the event loop", exc_info=True)
            print("RelayDesk: the connection to the display was lost; quitting.", file=sys.stderr)
            return DISPLAY_LOST_EXIT
    finally:
        reporter.uninstall()
        if collecting:  # in case start-up failed before the panes were built
            gc.enable()


async def main_coroutine(args: argparse.Namespace, reporter: object, window: Any = None) -> int:
    """Build the window, wait until it is closed (or the self-test ends), shut down.

    Args:
        args: the parsed command line.
        reporter: the :class:`~relaydesk.gui.unexpected_errors.UnexpectedErrorReporter`.
        window: the shown frame of a :class:`~relaydesk.gui.main_window.MainWindow`
            made with ``build=False``; one is made and shown here when omitted.
    """
    import asyncio

    from relaydesk.gui.main_window import MainWindow
    from relaydesk.gui.unexpected_errors import UnexpectedErrorReporter

    assert isinstance(reporter, UnexpectedErrorReporter)
    asyncio.get_running_loop().set_exception_handler(reporter.loop_exception_handler)
    if window is None:
        window = MainWindow(token_lifetime=getattr(args, "token_lifetime", None), build=False)
        reporter.set_parent(lambda: window)
        window.show()
    assert isinstance(window, MainWindow)
    closed = asyncio.Event()
    window.close_requested.connect(closed.set)
    restore_sigint = _close_on_sigint(window)
    collector = None
    code = 0
    try:
        window.build()
        _log_started()
        freeze_startup_objects()
        collector = collect_when_idle(window)
        demo = getattr(args, "demo", False) and not getattr(args, "self_test", False)
        window.load_profiles(getattr(args, "profile", None), demo=demo)
        if getattr(args, "self_test", False):
            from relaydesk.gui.self_test import run_self_test

            code = await run_self_test(window, screenshot=args.screenshot, reporter=reporter)
        else:
            if demo:
                window.start_demo()
            await closed.wait()
    finally:
        restore_sigint()
        if collector is not None:
            collector.stop()
        await window.shutdown(grace=SHUTDOWN_GRACE)
        window.dispose()
    return code


def _log_started() -> None:
    """One line in the log: version and Qt platform (support asks for both first)."""
    from PySide6.QtGui import QGuiApplication

    import relaydesk

    log.info(
        "RelayDesk %s started on Qt's %s platform",
        relaydesk.__version__,
        QGuiApplication.platformName(),
    )


def freeze_startup_objects() -> None:
    """Exempt what start-up made from the garbage collector's scans (``gc.freeze``),
    and turn automatic collections back on (:func:`run_gui` turns them off
    until the panes are built).

    Modules, the window and its widgets' wrappers live until the app quits,
    yet every full collection walked them all: a ~45 ms pause of the GUI
    thread during a message flood, ~28 ms once they are frozen
    (``benchmarks/gui_flood.py``). Garbage among them is a few objects.
    """
    import gc

    gc.freeze()
    gc.enable()


def collect_when_idle(window: Any) -> IdleCollector:
    """Run full garbage collections only while the GUI is quiet (see
    :mod:`relaydesk.gui.idle_collector`), ticked by a timer on ``window``.

    Call ``stop()`` on the result at shutdown: it restores the thresholds.
    """
    from PySide6.QtCore import QTimer

    from relaydesk.gui.idle_collector import IdleCollector

    collector = IdleCollector()
    collector.start()
    ticker = QTimer(window)  # parented: deleted with the window, in this thread
    ticker.setInterval(500)
    ticker.timeout.connect(collector.tick)
    ticker.start()
    return collector


def _close_on_sigint(window: Any) -> Callable[[], None]:
    """Make Ctrl+C in the terminal close the window (a clean quit, not a traceback).

    qasync's loop has no ``add_signal_handler``, and Python runs signal
    handlers only between bytecodes, so a 250 ms timer keeps Python ticking
    while Qt waits. Returns a function that restores the previous handler.
    """
    from PySide6.QtCore import QTimer

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGINT, lambda _sig, _frame: window.close())
    ticker = QTimer(window)  # parented: deleted with the window, in this thread
    ticker.setInterval(250)
    ticker.timeout.connect(lambda: None)
    ticker.start()

    def restore() -> None:
        ticker.stop()
        signal.signal(signal.SIGINT, previous)

    return restore
