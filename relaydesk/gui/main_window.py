"""MainWindow: profile bar, connection, listener | sender, timeline, status bar.

The window is the composition point (architecture §4.7): it builds the
bridges and panes, connects the panes' intents to bridge methods, and feeds
every bridge's ``timeline_event`` to one timeline. It never awaits: what must
wait (the demo start-up, copying a token) runs in tasks the bridges own, and
only ``async shutdown()``, which the app's main coroutine calls after
``close_requested``, waits for the bridges to close.

Window geometry, splitter sizes and the last profile are kept in QSettings
(an INI file in the config directory: window state only, never a secret).

Start-up comes in two steps so the window appears as fast as a bare one
(``benchmarks/gui_startup.py`` times both steps): the constructor with ``build=False`` makes only
the frame (title, restored geometry, status bar, a "Starting…" line), which
the app shows and paints before it imports asyncio, qasync and the relay
core; :meth:`MainWindow.build` then composes the bridges and panes on the
running loop. That is why this module imports the rest of the GUI inside
``build()`` and the few methods that need it, and nothing heavy at the top
(not even ``PySide6.QtCore.Qt``: its first use costs ~20 ms).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QFileDialog

    from relaydesk.gui.bridges.demo_bridge import DemoInfo
    from relaydesk.gui.panes.check_section import CheckSection
    from relaydesk.gui.panes.diagnose_section import DiagnoseSection
    from relaydesk.gui.widgets.sign_in_panel import SignInPanel
    from relaydesk.profiles.model import Profile
    from relaydesk.relay.events import ErrorInfo, StateChanged
    from relaydesk.secrets import Secret

__all__ = ["DEFAULT_VERTICAL", "MainWindow"]

log = logging.getLogger(__name__)

#: Panes : timeline height when nothing was saved.
DEFAULT_VERTICAL = (480, 180)


def _config_dir() -> Path:
    override = os.environ.get("RELAYDESK_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("relaydesk"))


class MainWindow(QMainWindow):
    """The RelayDesk main window.

    Signals:
        close_requested(): the user closed the window; the app shuts down.
        demo_started(object): demo mode runs and its profile is in use (``DemoInfo``).
    """

    close_requested = Signal()
    demo_started = Signal(object)

    def __init__(
        self,
        *,
        token_lifetime: float | None = None,
        config_dir: Path | None = None,
        demo_data_dir: Path | None = None,
        build: bool = True,
    ) -> None:
        """Make the window; with ``build=False`` only its frame (call :meth:`build`)."""
        super().__init__()
        self.setWindowTitle("RelayDesk")
        self.setObjectName("mainWindow")
        self._config_dir = config_dir or _config_dir()
        self._options = (token_lifetime, config_dir, demo_data_dir)
        self.built = False
        # Parented, so it dies with the window in this thread (see dispose()).
        ini = str(self._config_dir / "window.ini")
        self.settings = QSettings(ini, QSettings.Format.IniFormat, self)
        self._build_frame()
        if build:
            self.build()

    def build(self) -> None:
        """Compose bridges, panes and timeline into the frame (once; needs the loop)."""
        if self.built:
            return
        from relaydesk.gui.bridges.check_bridge import CheckBridge
        from relaydesk.gui.bridges.demo_bridge import DemoBridge
        from relaydesk.gui.bridges.diagnose_bridge import DiagnoseBridge
        from relaydesk.gui.bridges.listener_bridge import ListenerBridge
        from relaydesk.gui.bridges.profile_controller import ProfileController
        from relaydesk.gui.bridges.sender_bridge import SenderBridge
        from relaydesk.gui.bridges.sign_in_bridge import SignInBridge
        from relaydesk.gui.bridges.workspace import Workspace
        from relaydesk.gui.models.timeline import TimelineModel

        token_lifetime, config_dir, demo_data_dir = self._options
        self.listener_bridge = ListenerBridge(self)
        self.sender_bridge = SenderBridge(self)
        self.check_bridge = CheckBridge(self)
        self.diagnose_bridge = DiagnoseBridge(self)
        self.workspace = Workspace(
            self.listener_bridge, self.sender_bridge, config_dir=config_dir, parent=self
        )
        self.workspace.attach_check(self.check_bridge)
        self.profile_controller = ProfileController(self.workspace, self)
        self._export_dialog: QFileDialog | None = None
        self.workspace.attach_diagnose(self.diagnose_bridge)
        self.sign_in_bridge = SignInBridge(self)
        self.workspace.attach_sign_in(self.sign_in_bridge)
        self._sign_in_panel: SignInPanel | None = None
        self.sign_in_bridge.progress.connect(self._on_sign_in)
        self.sign_in_bridge.notice.connect(
            lambda text: self.statusBar().showMessage(f"Sign-in: {text}", 15000)
        )
        self.demo = DemoBridge(
            self.workspace, data_dir=demo_data_dir, token_lifetime=token_lifetime, parent=self
        )
        self.timeline_model = TimelineModel(parent=self)
        self._build_ui()
        self._connect()
        self._shortcuts()
        self.built = True
        self._restore_splitters()

    # --- construction ------------------------------------------------------------

    def _build_frame(self) -> None:
        """Title, status bar and restored geometry: what shows before :meth:`build`.

        The stylesheet is the window's, not the application's: a widget made
        without a parent then has no stylesheet style until it joins the
        window, so the panes, built bottom-up, are polished once when they are
        put in place rather than at every level they are added to (with the
        application's stylesheet, building took ~200 ms instead of ~90).
        Dialogs and panels parented to the window inherit it.
        """
        from relaydesk.gui.resources import load_stylesheet

        self.setStyleSheet(load_stylesheet())
        self.setCentralWidget(QWidget())  # replaced by build()
        self.statusBar().showMessage("Starting RelayDesk…")
        self.secrets_label = QLabel("Secrets: …")
        self.secrets_label.setAccessibleName("Secret store in use")
        self.emulator_label = QLabel()
        self.emulator_label.setAccessibleName("Emulator address")
        self.statusBar().addPermanentWidget(self.secrets_label)
        self.statusBar().addPermanentWidget(self.emulator_label)
        self._place_on_screen()

    def _place_on_screen(self) -> None:
        """Restore the saved geometry if it fits this screen, else the default size.

        A geometry saved on a bigger screen (or an older version's 1280×820)
        would put the status bar below a laptop's task bar; the default fits
        the screen's available area (:func:`window_layout.default_size`).
        """
        from relaydesk.gui.window_layout import default_size, fits

        area = self.screen().availableGeometry()
        geometry = self.settings.value("geometry")
        if geometry is not None and self.restoreGeometry(geometry):
            if fits(self.frameGeometry(), area) and fits(self.geometry(), area):
                return
            log.info("saved window geometry does not fit the screen; using the default")
        width, height = default_size(area.width(), area.height())
        self.resize(width, height)
        self.move(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2)

    def _build_ui(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QSplitter, QStackedWidget, QVBoxLayout

        from relaydesk.gui.demo_story import SlowListenerStory
        from relaydesk.gui.first_run import FirstRun
        from relaydesk.gui.panes.connection_section import ConnectionSection
        from relaydesk.gui.panes.listener_pane import ListenerPane
        from relaydesk.gui.panes.sender_pane import SenderPane
        from relaydesk.gui.widgets.demo_fault_bar import DemoFaultBar
        from relaydesk.gui.widgets.profile_bar import ProfileBar
        from relaydesk.gui.widgets.timeline_view import TimelineView

        self.profile_bar = ProfileBar()
        self.connection = ConnectionSection()
        self.demo_bar = DemoFaultBar(self.demo)
        self.demo_bar.setVisible(False)
        self.listener_pane = ListenerPane(self.listener_bridge)
        self.sender_pane = SenderPane(self.sender_bridge)
        self.timeline_view = TimelineView(self.timeline_model)
        self.sides = QSplitter(Qt.Orientation.Horizontal)
        self.sides.setObjectName("sidesSplitter")
        self.sides.addWidget(self.listener_pane)
        self.sides.addWidget(self.sender_pane)
        self.sides.setChildrenCollapsible(False)
        self.sides.setSizes([640, 640])
        # The Check results sit beside the timeline, not above the panes: running
        # a check neither grows the window nor takes the timeline's rows. The
        # check's and the diagnosis' sections join it when first used.
        self.bottom = QSplitter(Qt.Orientation.Horizontal)
        self.bottom.setObjectName("bottomSplitter")
        self.bottom.addWidget(self.timeline_view)
        self.bottom.setChildrenCollapsible(False)
        self.bottom.setStretchFactor(0, 3)
        self._check_section: CheckSection | None = None
        self._diagnose_section: DiagnoseSection | None = None
        self.vertical = QSplitter(Qt.Orientation.Vertical)
        self.vertical.setObjectName("mainSplitter")
        self.vertical.addWidget(self.sides)
        self.vertical.addWidget(self.bottom)
        self.vertical.setChildrenCollapsible(False)
        self.vertical.setStretchFactor(0, 3)
        self.vertical.setStretchFactor(1, 1)
        self.vertical.setSizes(list(DEFAULT_VERTICAL))
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 4, 6, 2)
        layout.setSpacing(4)
        for widget in (self.profile_bar, self.connection, self.demo_bar):
            layout.addWidget(widget)
        self.pages = QStackedWidget()  # the panes, or the first-run page
        self.pages.addWidget(self.vertical)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)  # deletes the empty placeholder
        self.statusBar().clearMessage()
        self.slow_story = SlowListenerStory(self.demo, self)
        self.first_run = FirstRun(self)
        self._build_menus()
        # Tab order: widgets are created in layout order (profile bar, connection,
        # demo faults, listener, sender, timeline, check), which Qt follows.

    @property
    def check_section(self) -> CheckSection:
        """The check's step list beside the timeline (made on first use).

        Hidden until a check runs; like the diagnosis' section (~50 widgets
        each), it is made when first needed rather than with the panes.
        """
        if self._check_section is None:
            from relaydesk.gui.panes.check_section import CheckSection

            self._check_section = CheckSection(self.check_bridge)
            self.bottom.insertWidget(1, self._check_section)  # before the diagnosis
            self.bottom.setStretchFactor(1, 2)
        return self._check_section

    @property
    def diagnose_section(self) -> DiagnoseSection:
        """The diagnosis' step list beside the timeline (made on first use)."""
        if self._diagnose_section is None:
            from relaydesk.gui.panes.diagnose_section import DiagnoseSection

            self._diagnose_section = DiagnoseSection(self.diagnose_bridge)
            self.bottom.addWidget(self._diagnose_section)
        return self._diagnose_section

    def _follow_step_run(self, section: str, error: ErrorInfo | None = None) -> None:
        """A run started (or could not) before its section existed: make it, catch up.

        The first-run page runs the check itself; the window's section shows
        that run too, as it did when it was made with the window.
        """
        if getattr(self, f"_{section}") is None:
            getattr(self, section).catch_up(error)

    def _build_menus(self) -> None:
        """File (Quit), Profile (the bar's actions), Help (About): desktop conventions."""
        from relaydesk.gui.menus import build_menus

        self.menus = build_menus(self)
        self.diagnose_action = self.menus.profile.addAction("Dia&gnose connection")
        self.diagnose_action.setStatusTip(
            "Walk the path to the relay step by step: DNS, proxy, TLS, token, listeners"
        )
        self.diagnose_action.triggered.connect(self.run_diagnose)
        self.sign_out_action = self.menus.profile.addAction("Sign &out (people signed in)")
        self.sign_out_action.setStatusTip(
            "Forget the Entra ID users signed in for this profile: the next start asks again"
        )
        self.sign_out_action.triggered.connect(self.workspace.sign_out)
        self.workspace.signed_out.connect(self._on_signed_out)

    def _on_signed_out(self, accounts: list[str]) -> None:
        who = ", ".join(accounts) if accounts else "nobody was signed in"
        self.statusBar().showMessage(f"Signed out: {who}", 15000)

    @property
    def sign_in_panel(self) -> SignInPanel:
        """The sign-in window (code, Cancel), made when a person first signs in."""
        if self._sign_in_panel is None:
            from PySide6.QtCore import Qt

            from relaydesk.gui.widgets.sign_in_panel import SignInPanel

            panel = SignInPanel(self)
            panel.setWindowFlag(Qt.WindowType.Window)
            panel.cancel_requested.connect(self.sign_in_bridge.cancel)
            panel.close_requested.connect(panel.hide)
            self._sign_in_panel = panel
        return self._sign_in_panel

    def _on_sign_in(self, progress: object) -> None:
        """A person signs in: show the non-modal sign-in window (code, Cancel)."""
        from PySide6.QtCore import QSize

        panel = self.sign_in_panel
        panel.show_progress(progress)
        panel.resize(panel.sizeHint().expandedTo(QSize(480, 0)).expandedTo(panel.size()))
        if not panel.isVisible():
            panel.show()
        panel.raise_()

    def _connect(self) -> None:
        bar, actions = self.profile_bar, self.profile_controller
        bar.profile_selected.connect(self.workspace.select)
        bar.new_requested.connect(actions.new_profile)
        bar.duplicate_requested.connect(lambda: actions.duplicate(bar.current_profile()))
        bar.rename_requested.connect(actions.rename)
        bar.delete_requested.connect(actions.delete)
        bar.import_requested.connect(actions.import_connection_string)
        bar.export_requested.connect(self.export_profile)
        bar.demo_requested.connect(self.start_demo)
        bar.check_requested.connect(self.run_check)
        actions.status.connect(self.show_status)
        actions.blank_profile.connect(self._edit_blank_profile)
        actions.error.connect(self._on_workspace_error)
        self.connection.save_requested.connect(self._save_form)
        self.demo.started.connect(self._on_demo_started)
        self.demo.error.connect(self._on_workspace_error)
        ws = self.workspace
        ws.ready.connect(self._on_stores_open)
        ws.secret_store_ready.connect(self._on_secret_store)
        self.connection.expanded_changed.connect(self._on_editor_shown)
        ws.token_copied.connect(
            lambda role: self.show_status(
                f"The {role}'s token is on the clipboard: treat it like a password"
            )
        )
        ws.profiles_changed.connect(bar.set_profiles)
        ws.profile_activated.connect(self._on_profile)
        ws.switched.connect(self.listener_pane.reset)
        ws.switched.connect(self.sender_pane.reset)
        ws.error.connect(self._on_workspace_error)
        for name, step_run in (
            ("check_section", self.check_bridge),
            ("diagnose_section", self.diagnose_bridge),
        ):
            step_run.started.connect(lambda name=name: self._follow_step_run(name))
            step_run.error.connect(lambda info, name=name: self._follow_step_run(name, info))
        bridges = (self.listener_bridge, self.sender_bridge, self.check_bridge)
        for bridge in (*bridges, self.diagnose_bridge):
            bridge.timeline_event.connect(self.timeline_model.append_event)
        self.listener_bridge.state_changed.connect(self._on_listener_state)
        self.timeline_view.export_requested.connect(self.timeline_view.open_export_dialog)
        self.listener_pane.token_badge.copy_token_requested.connect(
            lambda: self.copy_token("listener")
        )
        self.sender_pane.token_badge.copy_token_requested.connect(lambda: self.copy_token("sender"))
        self.timeline_view.export_path_chosen.connect(self.export_session)
        listener = self.listener_pane
        listener.replay_requested.connect(self.sender_pane.load_replay)
        listener.har_exported.connect(lambda path: self.show_status(f"HAR written to {path}"))
        listener.har_export_failed.connect(self.show_status)
        listener.forward_changed.connect(ws.save_forward)

    def _shortcuts(self) -> None:
        from PySide6.QtGui import QKeySequence, QShortcut

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.sender_pane.send)
        QShortcut(QKeySequence("Ctrl+L"), self, self.listener_bridge.toggle)
        QShortcut(QKeySequence("Ctrl+K"), self, self.sender_bridge.toggle)

    # --- public -----------------------------------------------------------------------

    def load_profiles(self, preferred: str | None = None, *, demo: bool = False) -> None:
        """Open the stores in the background and select ``preferred`` or the last profile.

        A start into the demo (``demo``) selects no last profile, and opens the
        OS keyring only once a secret outside the demo's is used.
        """
        last = self.settings.value("last_profile")
        if demo:
            self.workspace.open(preferred, keyring=preferred is not None)
        else:
            self.workspace.open(preferred, fallback=last if isinstance(last, str) else None)

    @property
    def demo_info(self) -> DemoInfo | None:
        """What the running demo mode shows, or ``None`` before it is ready."""
        return self.demo.info

    def start_demo(self) -> None:
        """Start the demo's emulator (a child process) and switch to the "Local demo" profile."""
        if not self.demo.starting:
            self.show_status("Starting the local emulator…")
        self.demo.start()

    def export_profile(self, name: str) -> None:
        """Ask (non-modally) where to save profile ``name``'s JSON (never a secret)."""
        from relaydesk.gui.widgets.profile_export_dialog import open_profile_export_dialog

        dialog = open_profile_export_dialog(self, name)
        dialog.fileSelected.connect(lambda path: self.profile_controller.export_to(name, path))
        dialog.finished.connect(self._forget_export_dialog)
        self._export_dialog = dialog

    def _forget_export_dialog(self, *_result: object) -> None:
        self._export_dialog = None

    def run_check(self) -> None:
        """Run the connectivity check for the current profile."""
        self.check_section.setVisible(True)
        self.check_bridge.run()

    def run_diagnose(self) -> None:
        """Diagnose the path to the current profile's relay (Profile ▸ Diagnose)."""
        self.diagnose_section.setVisible(True)
        self.diagnose_bridge.run()

    def copy_token(self, role: str) -> None:
        """Put a current token for ``role`` on the clipboard (the user asked for it)."""
        self.workspace.copy_token(role)

    def export_session(self, path: str) -> None:
        """Write the timeline's events as redacted JSON Lines."""
        from relaydesk.gui.models.session_export import export_jsonl

        try:
            count = export_jsonl(path, self.timeline_model.events())
        except OSError as exc:
            self.show_status(f"Could not export the session: {exc.strerror or exc}")
            return
        self.show_status(f"Exported {count} events to {path} (secrets redacted)")

    def show_about(self) -> None:
        """Help → About, non-modal."""
        from relaydesk.gui.about import about_box

        self.about_box = about_box(self)
        self.about_box.show()

    def show_status(self, text: str) -> None:
        """Show a transient message in the status bar."""
        self.statusBar().showMessage(text, 15_000)

    async def shutdown(self, grace: float = 2.0) -> None:
        """Stop everything: close frames sent, emulator stopped, bounded by ``grace``."""
        import asyncio

        self._save_state()
        if not self.built:
            return
        await self.demo.cancel_start(0.2)
        try:
            async with asyncio.timeout(grace + 1.0):
                await asyncio.gather(
                    self.listener_bridge.aclose(grace),
                    self.sender_bridge.aclose(grace),
                    self.check_bridge.aclose(grace),
                    self.diagnose_bridge.aclose(grace),
                    self.profile_controller.aclose(),
                    self.workspace.close(),
                )
        except TimeoutError:
            log.warning("shutdown: the sessions did not close within %.1f s", grace + 1.0)
        try:
            async with asyncio.timeout(grace):
                await self.demo.stop()
        except TimeoutError:
            log.warning("the emulator did not stop within %.1f s", grace)

    # --- slots ----------------------------------------------------------------------------

    def _on_demo_started(self, info: DemoInfo) -> None:
        self.demo_bar.setVisible(True)
        self.emulator_label.setText(f"Emulator: {info.namespace}")
        self.emulator_label.setToolTip(
            f"Embedded emulator; tokens live {info.token_lifetime:.0f} s so renewals show up"
        )
        self.show_status("Demo ready: press Start (Ctrl+L), then Connect (Ctrl+K)")
        self.demo_started.emit(info)

    def _edit_blank_profile(self, profile: Profile) -> None:
        store = self.workspace.store
        assert store is not None  # the controller waited for it
        self.connection.set_secret_store(store.secrets)
        self.connection.ensure_form()
        self.connection.show_profile(profile, {})
        self.connection.set_expanded(True)

    def _save_form(self, profile: Profile, secrets: dict[str, Secret]) -> None:
        """Store the editor's profile and secrets, use it, and close the editor."""
        self.profile_controller.save_profile(
            profile, secrets, then=lambda: self.connection.set_expanded(False)
        )

    def _on_stores_open(self) -> None:
        """Until a secret is needed, say that the keyring has not been looked at yet."""
        secrets = self.workspace.secrets
        self.connection.set_secret_store(secrets)
        if not secrets.opened:
            self.secrets_label.setText(f"Secrets: {secrets.backend_name}")
            self.secrets_label.setToolTip(
                "Profiles' secrets are kept in the OS keyring, which is opened when a "
                "secret is first read or saved. The demo's throw-away secrets stay in "
                "memory for this session."
            )

    def _on_editor_shown(self, shown: bool) -> None:
        """The editor says where secrets are kept: now the keyring must be looked at."""
        if shown:
            self.workspace.open_keyring()

    def _on_secret_store(self, name: str, persistent: bool) -> None:
        from relaydesk.gui.bridges.workspace import SESSION_ONLY

        self.connection.set_secret_store(self.workspace.secrets)
        where = name if persistent else f"in memory, {SESSION_ONLY}"
        self.secrets_label.setText(f"Secrets: {where}")
        self.secrets_label.setToolTip(self.workspace.secret_problem or f"OS keyring: {name}")

    def _on_profile(self, profile: Profile | None) -> None:
        self.connection.show_profile(profile, self.workspace.secrets_status)
        # A side that is not running shows only leftovers (the last token, the
        # last refusal) of settings that were just replaced: clear them.
        for pane in (self.listener_pane, self.sender_pane):
            if not pane.bridge.running:
                pane.reset()
        if profile is None:
            return
        with contextlib.suppress(ValueError):  # an address the form has not validated yet
            address = profile.parsed_address()
            self.listener_pane.set_address(address.entity_path, f"https://{address.namespace}")
        self.listener_pane.show_forward(profile)
        self.profile_bar.set_current(profile.name)
        self.settings.setValue("last_profile", profile.name)

    def _on_workspace_error(self, info: ErrorInfo) -> None:
        from relaydesk.gui.errors import format_error

        if info.kind in ("InvalidField", "InvalidAddress"):
            self.connection.set_expanded(True)  # e.g. a secret to type in again
        text = format_error(info)
        if info.remedy:
            text += f" — {info.remedy}"
        self.show_status(text)

    def _on_listener_state(self, event: StateChanged) -> None:
        from relaydesk.relay.events import ConnectionState

        online = event.state is ConnectionState.ONLINE
        if online and self.statusBar().currentMessage().startswith("Demo ready"):
            self.statusBar().clearMessage()
        self.sender_pane.set_pin_target(self.listener_bridge.listener_id if online else None)

    # --- window state -------------------------------------------------------------------

    def _splitters(self) -> tuple[Any, ...]:
        return (self.sides, self.vertical, self.bottom) if self.built else ()

    def _restore_splitters(self) -> None:
        """Restore saved splitter sizes unless a section would be below its minimum.

        A saved state with a collapsed or squeezed section (an older version
        saved a 0 px timeline) is ignored: the defaults apply instead.
        """
        from relaydesk.gui.window_layout import sections_fit

        for splitter in (self.sides, self.vertical, self.bottom):
            state = self.settings.value(f"splitters/{splitter.objectName()}")
            if state is None:
                continue
            before = splitter.sizes()
            if not splitter.restoreState(state) or not sections_fit(splitter):
                log.info("ignoring the saved sizes of %s", splitter.objectName())
                splitter.setSizes(before)

    def _save_state(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        for splitter in self._splitters():
            self.settings.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        self.settings.sync()

    def dispose(self) -> None:
        """Delete the window now, in this (the GUI) thread.

        The window's Python wrapper sits in reference cycles (signal lambdas),
        so only the cyclic garbage collector frees it, and that may run in any
        thread, e.g. an ``asyncio.to_thread`` worker. Deleting the C++ window
        there leaves its children's Qt timers registered (timers cannot be
        stopped from another thread) and a later timer event hits freed memory.
        ``deleteLater()`` alone does not help once the loop has stopped.
        """
        import shiboken6

        if shiboken6.isValid(self):
            self.hide()
            shiboken6.delete(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Hide at once and let the app's coroutine shut things down."""
        self._save_state()
        event.accept()
        self.close_requested.emit()
