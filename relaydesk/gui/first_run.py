"""The first run: the welcome page while there is no profile, and the way to a working pair.

Owns the :class:`~relaydesk.gui.panes.welcome.WelcomePage` and drives it
against the window's parts (workspace, demo, check, bridges); it never awaits.
The page shows when the profile store opens empty and goes when a profile is
in use: the demo is ready, the first check passed, or a profile was saved or
chosen some other way (the profile bar, the editor). Both ways in end on a
working pair: the listener starts, and the sender connects once the listener
is online (the relay would refuse a sender with no listener, §6).

The page (~220 widgets with its form) is built the first time it shows, not
with the window: most starts have profiles and never show it, and a start
that begins the demo (``--demo``) does not show it either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from relaydesk.relay.events import ConnectionState, StateChanged

if TYPE_CHECKING:
    from relaydesk.gui.panes.welcome import WelcomePage
    from relaydesk.gui.widgets.connection_form import ConnectionForm

__all__ = ["FirstRun"]


class FirstRun(QObject):
    """Show the welcome page on an empty start and lead to a listener/sender pair."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self._window = window
        self._listed = False  # the first profile listing decides
        self._checking = False  # our own check runs (its profile is already active)
        self._pair_wanted = False
        self._page: WelcomePage | None = None
        self._form: ConnectionForm | None = None
        self._connect()

    @property
    def built(self) -> bool:
        """True once the welcome page exists (it is made the first time it is needed)."""
        return self._page is not None

    @property
    def page(self) -> WelcomePage:
        """The welcome page (made now if it does not exist yet)."""
        if self._page is None:
            self._build_page()
        assert self._page is not None
        return self._page

    @property
    def form(self) -> ConnectionForm:
        """The page's address and identity form (made with the page)."""
        if self._form is None:
            self._build_page()
        assert self._form is not None
        return self._form

    @property
    def showing(self) -> bool:
        """True while the welcome page is shown instead of the panes."""
        return self._page is not None and self._window.pages.currentWidget() is self._page

    def show(self, shown: bool) -> None:
        """Show the welcome page (or the panes again)."""
        window = self._window
        window.pages.setCurrentWidget(self.page if shown else window.vertical)
        window.connection.setVisible(not shown)

    # --- wiring -----------------------------------------------------------------------

    def _build_page(self) -> None:
        from relaydesk.gui.panes.welcome import FIRST_PROFILE, WelcomePage
        from relaydesk.gui.widgets.connection_form import ConnectionForm
        from relaydesk.profiles.model import Profile

        window = self._window
        form = ConnectionForm(window.workspace.secrets)
        form.set_profile(Profile(name=FIRST_PROFILE, address=""))
        page = WelcomePage(window.check_bridge, form)
        window.pages.addWidget(page)
        page.offline_requested.connect(self._offline)
        page.save_and_check_requested.connect(self._save_and_check)
        self._form, self._page = form, page

    def _connect(self) -> None:
        window = self._window
        workspace = window.workspace
        workspace.profiles_changed.connect(self._on_profiles)
        workspace.profile_activated.connect(self._on_profile)
        workspace.secret_store_ready.connect(self._on_secret_store)
        workspace.error.connect(lambda _info: self._idle())
        window.demo.error.connect(lambda _info: self._idle())
        window.profile_controller.error.connect(lambda _info: self._idle())
        window.demo_started.connect(self._on_demo_started)
        window.check_bridge.finished.connect(self._on_check_finished)
        window.check_bridge.error.connect(lambda _info: self._check_over())

    def _on_secret_store(self, *_ready: object) -> None:
        if self._form is not None:
            self._form.set_secret_store(self._window.workspace.secrets)

    def _on_profiles(self, names: list[str], _current: str) -> None:
        if not self._listed:
            self._listed = True
            # The demo already starting (``--demo``) is the way in: no greeting.
            self.show(not names and not self._window.demo.starting)

    def _on_profile(self, profile: Any) -> None:
        if profile is not None and self.showing and not self._checking and not self._pair_wanted:
            self.show(False)  # chosen or saved elsewhere (profile bar, editor)

    # --- the two ways in ------------------------------------------------------------------

    def _offline(self) -> None:
        self._pair_wanted = True
        self.page.set_busy("Starting the built-in emulator…")
        self._window.start_demo()

    def _on_demo_started(self, _info: object) -> None:
        if self._page is not None:
            self._page.set_busy("")
        if self.showing:
            self.show(False)
        if self._pair_wanted:
            self._pair_wanted = False
            self.start_pair()

    def _save_and_check(self) -> None:
        self._checking = True
        self.page.set_busy("Saving…")
        self._window.profile_controller.save_profile(
            self.form.profile(), self.form.secrets(), then=self._run_check
        )

    def _run_check(self) -> None:
        self.page.set_busy("Checking…")
        self._window.check_bridge.run()

    def _on_check_finished(self, event: Any) -> None:
        if not self._checking:
            return
        self._check_over()
        if event.passed:
            self.show(False)
            self.start_pair()
            self._window.show_status("The check passed: listener and sender are connecting")

    def _check_over(self) -> None:
        self._checking = False
        if self._page is not None:
            self._page.set_busy("")

    def _idle(self) -> None:
        """A save or demo start failed: the page's buttons work again (the cause is shown)."""
        self._checking = self._pair_wanted = False
        if self._page is not None:
            self._page.set_busy("")

    # --- the pair ---------------------------------------------------------------------------

    def start_pair(self) -> None:
        """Start the listener, then connect the sender once the listener is online."""
        window = self._window
        window.listener_bridge.state_changed.connect(self._listener_state)
        window.listener_bridge.start()

    def _listener_state(self, event: StateChanged) -> None:
        if event.state in (ConnectionState.CONNECTING, ConnectionState.RECONNECTING):
            return
        self._window.listener_bridge.state_changed.disconnect(self._listener_state)
        if event.state is ConnectionState.ONLINE and not self._window.sender_bridge.running:
            self._window.sender_bridge.connect_sender()
