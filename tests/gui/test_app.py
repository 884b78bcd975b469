"""gui/app.py: the main coroutine's quit sequence; gui/errors.py; gui/resources.py."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from relaydesk.errors import (
    ConnectionClosed,
    Forbidden,
    InvalidAddress,
    RelayUnreachable,
    SecretStoreUnavailable,
)
from relaydesk.gui import resources
from relaydesk.gui.app import main_coroutine
from relaydesk.gui.errors import error_info, format_error
from relaydesk.gui.main_window import MainWindow
from relaydesk.gui.unexpected_errors import ErrorDialog, UnexpectedErrorReporter
from relaydesk.relay.events import ConnectionState, ErrorInfo
from tests.gui.conftest import LOOP_PROBLEMS, until

pytestmark = pytest.mark.gui


def _args(**overrides: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "demo": False,
        "self_test": False,
        "screenshot": None,
        "token_lifetime": None,
        "profile": None,
    }
    values.update(overrides)
    return argparse.Namespace(**values)


def _collect(_loop: object, context: dict[str, object]) -> None:
    LOOP_PROBLEMS.append(context)


def _main_window() -> MainWindow | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and widget.isVisible():
            return widget
    return None


@pytest.mark.asyncio
async def test_async_tests_run_on_the_qasync_loop() -> None:
    assert type(asyncio.get_running_loop()).__module__.startswith("qasync")


@pytest.mark.asyncio
async def test_closing_the_window_ends_the_main_coroutine() -> None:
    loop = asyncio.get_running_loop()
    reporter = UnexpectedErrorReporter()
    reporter.show_dialogs = False
    thresholds = gc.get_threshold()
    task = asyncio.create_task(main_coroutine(_args(), reporter))
    try:
        await until(lambda: _main_window() is not None, "the main window")
        window = _main_window()
        assert window is not None
        await asyncio.sleep(0.2)  # let the stores open
        assert not task.done()
        # full collections are left to the idle collector while the app runs
        assert gc.get_threshold()[2] > thresholds[2]
        loop.call_exception_handler({"message": "a lost task failed", "exception": KeyError("k")})
        assert reporter.reports == ["KeyError: 'k'"]
        reporter.reports.clear()
        window.close()
        async with asyncio.timeout(30):  # hang guard, as below
            assert await task == 0
    finally:
        loop.set_exception_handler(_collect)  # qasync has no get_exception_handler()
    assert reporter.reports == []
    assert gc.get_threshold() == thresholds


@pytest.mark.asyncio
@pytest.mark.e2e
async def test_quitting_in_demo_mode_stops_listener_and_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `relaydesk --demo` keeps the emulator's certificates in the user data dir.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    loop = asyncio.get_running_loop()
    reporter = UnexpectedErrorReporter()
    reporter.show_dialogs = False
    task = asyncio.create_task(main_coroutine(_args(demo=True), reporter))
    try:
        await until(lambda: _main_window() is not None, "the main window")
        window = _main_window()
        assert window is not None
        await until(lambda: window.demo_info is not None, "demo mode")
        assert (tmp_path / "data" / "relaydesk" / "emulator").is_dir()  # not the real one
        window.listener_pane.start_button.click()
        await until(lambda: window.listener_pane.state is ConnectionState.ONLINE, "online")
        demo = window.demo
        window.close()
        # A hang guard, not a timing claim (shared CI machines): the app's own
        # shutdown bound is ~2 s; benchmarks, not tests, measure speed.
        async with asyncio.timeout(30):
            assert await task == 0
        assert not demo.running
    finally:
        loop.set_exception_handler(_collect)  # qasync has no get_exception_handler()
    assert reporter.reports == []


# --- errors -------------------------------------------------------------------------------


def test_error_info_gives_cause_and_remedy() -> None:
    forbidden = error_info(Forbidden(403, "no Send right", tracking_id="t-1"))
    assert forbidden.status == 403 and forbidden.tracking_id == "t-1"
    assert "Azure Relay" in forbidden.remedy
    closed = error_info(ConnectionClosed(1008, "TokenExpired"))
    assert closed.status == 1008 and closed.remedy
    assert "session only" in error_info(SecretStoreUnavailable("no keyring")).remedy
    assert error_info(RelayUnreachable("refused")).remedy
    assert "address" in error_info(InvalidAddress("address", "no host")).remedy
    bug = error_info(KeyError("x"))
    assert bug.kind == "KeyError" and "bug" in bug.remedy


def test_format_error_mentions_status_and_tracking_id() -> None:
    text = format_error(ErrorInfo("Forbidden", "no right", "", 403, "abc"))
    assert text == "403 · no right (TrackingId abc)"
    service = "no right TrackingId:abc, SystemTracker:sb://ns/hc, Timestamp:11/28/2026"
    assert format_error(ErrorInfo("Forbidden", service, "", 403, "abc")) == text  # once


def test_excepthook_logs_and_opens_a_non_modal_dialog(qtbot) -> None:  # type: ignore[no-untyped-def]
    reporter = UnexpectedErrorReporter()
    try:
        raise ValueError("something odd")
    except ValueError as exc:
        reporter.excepthook(type(exc), exc, exc.__traceback__)
    assert reporter.reports == ["ValueError: something odd"]
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog)]
    assert dialogs == reporter.dialogs
    dialog = dialogs[-1]
    assert dialog.isVisible() and not dialog.isModal()
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert "ValueError: something odd" in copied and "Traceback" in copied
    dialog.close()
    assert reporter.dialogs == []


def test_loop_handler_reports_context_without_exception(qtbot) -> None:  # type: ignore[no-untyped-def]
    reporter = UnexpectedErrorReporter()
    reporter.show_dialogs = False
    spare = asyncio.new_event_loop()
    spare.close()
    reporter.loop_exception_handler(spare, {"message": "Task was destroyed"})
    assert reporter.reports == ["Task was destroyed"]


def test_install_and_uninstall_swap_sys_excepthook() -> None:
    reporter = UnexpectedErrorReporter()
    before = sys.excepthook
    reporter.install()
    assert sys.excepthook == reporter.excepthook
    reporter.uninstall()
    assert sys.excepthook is before


# --- resources ---------------------------------------------------------------------------


def test_stylesheet_is_found_in_the_repository() -> None:
    path = resources.resource_path("styles/relaydesk.qss")
    assert path.is_file()
    assert "palette(" in resources.load_stylesheet()


def test_missing_resource_raises_a_typed_error() -> None:
    with pytest.raises(resources.ResourceMissing):
        resources.resource_path("styles/nope.qss")


def test_frozen_bundle_is_searched_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "resources" / "styles").mkdir(parents=True)
    (tmp_path / "resources" / "styles" / "relaydesk.qss").write_text("/* bundled */")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.candidate_roots()[0] == tmp_path / "resources"
    assert resources.load_stylesheet() == "/* bundled */"


def test_missing_stylesheet_means_plain_not_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "candidate_roots", lambda: [Path("/nonexistent")])
    assert resources.load_stylesheet() == ""
    assert resources.icon("nothing").isNull()  # type: ignore[attr-defined]


@pytest.mark.e2e
@pytest.mark.slow
def test_ctrl_c_quits_cleanly(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import time

    config = tmp_path / "config"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", RELAYDESK_CONFIG_DIR=str(config))
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    child = subprocess.Popen(
        [sys.executable, "-m", "relaydesk", "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list((config / "profiles").glob("*.json")):  # the demo profile: ready
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "demo mode did not start"
            time.sleep(0.1)
        time.sleep(0.5)
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=15)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    assert "Traceback" not in err


def test_app_icon_has_several_sizes(qapp) -> None:  # type: ignore[no-untyped-def]
    icon = resources.app_icon()
    assert not icon.isNull()  # type: ignore[attr-defined]
    assert len(icon.availableSizes()) >= 4  # type: ignore[attr-defined]


def test_the_first_paint_waits_for_nothing_heavy(tmp_path: Path) -> None:
    """run_gui paints the window's frame before importing asyncio, qasync or the core.

    An import check, not a timing one: ``benchmarks/gui_startup.py`` measures.
    """

    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "import relaydesk.cli, relaydesk.gui.app\n"
        "from relaydesk.gui.main_window import MainWindow\n"
        "from relaydesk.gui.resources import app_icon\n"
        "from relaydesk.gui.unexpected_errors import UnexpectedErrorReporter\n"
        "app = QApplication([])\n"
        "app.setWindowIcon(app_icon())\n"
        "UnexpectedErrorReporter().install()\n"
        "window = MainWindow(build=False)\n"
        "window.show()\n"
        "app.processEvents()\n"
        "heavy = ('asyncio', 'qasync', 'keyring', 'msal', 'aiohttp', 'websockets',\n"
        "         'relaydesk.relay', 'relaydesk.protocol', 'relaydesk.profiles')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n"
        "print(window.isVisible(), window.built, window.statusBar().currentMessage())\n"
    )
    lines = _run_app_code(code, tmp_path)
    loaded, state = lines
    assert loaded == "[]"
    assert state == "True False Starting RelayDesk…"


def test_building_the_panes_loads_no_network_or_auth_library(tmp_path: Path) -> None:
    """The panes are ready before websockets, aiohttp, msal or keyring are imported,
    or the token providers and profiles: they load when a session starts or a store
    opens, after "ready" (import check)."""

    code = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from relaydesk.gui import main_window\n"
        "build = main_window.MainWindow.build\n"
        "def built(self):\n"
        "    build(self)\n"
        "    heavy = ('websockets', 'aiohttp', 'msal', 'keyring', 'cryptography', 'jwt',\n"
        "             'requests', 'relaydesk.token_providers', 'relaydesk.auth.tokens')\n"
        "    print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy),\n"
        "          flush=True)\n"
        "    QTimer.singleShot(0, self.close)\n"
        "main_window.MainWindow.build = built\n"
        "from relaydesk.cli import main\n"
        "sys.exit(main([]))\n"
    )
    lines = _run_app_code(code, tmp_path)
    assert lines[0] == "[]"


def test_what_the_first_window_does_not_show_is_made_when_first_used(tmp_path: Path) -> None:
    """The HTTP inspector, the sender's HTTP tab, the behaviour settings and the
    sign-in window are neither made nor imported with the panes; their tabs and
    the Behaviour button are there, and selecting or pressing them makes them.
    Automatic garbage collections are off while the panes are built and on again
    after (import and behaviour check, not a timing one)."""

    code = (
        "import gc, sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QWidget\n"
        "from relaydesk.gui import main_window\n"
        "build = main_window.MainWindow.build\n"
        "def names(self):\n"
        "    return sorted({type(w).__name__ for w in self.findChildren(QWidget)}\n"
        "                  & {'HttpInspector', 'HttpTab', 'ListenerSettings', 'SignInPanel'})\n"
        "def built(self):\n"
        "    collecting = gc.isenabled()\n"
        "    build(self)\n"
        "    lazy = ('relaydesk.gui.widgets.http_inspector', 'relaydesk.gui.panes.http_tab',\n"
        "            'relaydesk.gui.panes.listener_settings',\n"
        "            'relaydesk.gui.models.http_capture', 'relaydesk.gui.widgets.sign_in_panel')\n"
        "    print(sorted(set(lazy) & set(sys.modules)), names(self), collecting, flush=True)\n"
        "    QTimer.singleShot(0, lambda: later(self))\n"
        "def later(self):\n"
        "    print(gc.isenabled(), flush=True)\n"
        "    self.listener_pane.views.setCurrentIndex(1)\n"
        "    self.sender_pane.tabs.setCurrentIndex(1)\n"
        "    self.listener_pane.settings_toggle.click()\n"
        "    print(names(self), type(self.listener_pane.views.currentWidget()).__name__,\n"
        "          type(self.sender_pane.tabs.currentWidget()).__name__, flush=True)\n"
        "    self.close()\n"
        "main_window.MainWindow.build = built\n"
        "from relaydesk.cli import main\n"
        "sys.exit(main([]))\n"
    )
    lines = _run_app_code(code, tmp_path)
    at_ready, collecting_after, made = lines[:3]
    assert at_ready == "[] [] False"
    assert collecting_after == "True"
    assert made == "['HttpInspector', 'HttpTab', 'ListenerSettings'] HttpInspector HttpTab"


def test_an_idle_demo_window_loads_no_relay_client_or_auth_library(tmp_path: Path) -> None:
    """With the demo profile in use and nobody connecting, the window needs no
    token: aiohttp, websockets, MSAL, requests and PyJWT stay out of its
    memory (~45 MiB) and the listener count is not polled; the demo's secrets
    are in memory, so keyring, secretstorage, jeepney and cryptography (~11 MiB)
    stay out too, and the status bar does not name a keyring it has not opened
    (import check)."""

    code = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from relaydesk.gui import main_window\n"
        "build = main_window.MainWindow.build\n"
        "def report(self):\n"
        "    heavy = ('websockets', 'aiohttp', 'msal', 'requests', 'jwt', 'keyring',\n"
        "             'secretstorage', 'jeepney', 'cryptography')\n"
        "    print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)), flush=True)\n"
        "    polling = getattr(self.sender_bridge.listener_count, 'polling', True)\n"
        "    print(polling, self.sender_pane.listeners_label.text(), flush=True)\n"
        "    print(self.secrets_label.text(), flush=True)\n"
        "    self.close()\n"
        "def built(self):\n"
        "    build(self)\n"
        "    self.demo_started.connect(lambda _info: QTimer.singleShot(0, lambda: report(self)))\n"
        "    self.demo.error.connect(lambda info: (print(info, flush=True), self.close()))\n"
        "main_window.MainWindow.build = built\n"
        "from relaydesk.cli import main\n"
        "sys.exit(main(['--demo']))\n"
    )
    lines = _run_app_code(code, tmp_path, timeout=120)
    loaded, count, secrets = lines[:3]
    assert loaded == "[]"
    from relaydesk.gui.panes.sender_pane import ASK_LINK

    assert count == f"False {ASK_LINK}"
    assert secrets == "Secrets: OS keyring, checked on first use"


def _run_app_code(code: str, config_dir: Path, timeout: float = 60) -> list[str]:
    """Run ``code`` in a fresh offscreen Python (the app's start-up from scratch);
    its stdout lines. Fails the test with its stderr when it does not exit 0."""
    import os
    import subprocess

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", RELAYDESK_CONFIG_DIR=str(config_dir))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()
