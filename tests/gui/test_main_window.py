"""MainWindow: layout, window state, shortcuts, profiles and secrets, accessibility."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import keyring
import pytest
import pytest_asyncio
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from relaydesk.gui.main_window import MainWindow
from relaydesk.relay.events import ConnectionState
from relaydesk.secrets import secret_key
from tests.gui.conftest import FakeFileDialog, until
from tests.memory_keyring import MemoryKeyring

pytestmark = pytest.mark.gui


async def _opened(window: MainWindow) -> MainWindow:
    window.show()
    window.load_profiles()
    await until(lambda: window.workspace.store is not None, "the stores")
    await until(lambda: window.secrets_label.text() != "Secrets: …", "the status bar")
    return window


@pytest_asyncio.fixture
async def window() -> AsyncIterator[MainWindow]:
    win = await _opened(MainWindow())
    try:
        yield win
    finally:
        await win.shutdown()
        win.dispose()


def test_layout_follows_the_sketch(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.sides.widget(0) is win.listener_pane
    assert win.sides.widget(1) is win.sender_pane
    assert win.vertical.widget(0) is win.sides
    assert win.vertical.widget(1) is win.bottom
    assert win.bottom.widget(0) is win.timeline_view
    check = win.check_section  # made on first use
    assert win.bottom.widget(1) is check  # beside the timeline, not above
    assert win.connection.editor is None  # the editor window is made on first use
    assert not win.demo_bar.isVisibleTo(win)  # demo mode only
    assert not win.check_section.isVisibleTo(win)
    assert win.windowTitle() == "RelayDesk"


def test_the_check_and_diagnosis_sections_are_made_when_first_used(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Hidden until a check or diagnosis runs, they are not built with the panes;
    they join the timeline's splitter in their places (check, then diagnosis), and a
    run started elsewhere (the first-run page's check) still shows in the window."""
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    assert win.bottom.count() == 1  # the timeline only
    win.run_diagnose()  # no profile: says why, in its section
    assert win.bottom.widget(1) is win.diagnose_section
    assert win.diagnose_section.isVisibleTo(win)
    win.check_bridge.run()  # as the first-run page does: not through the window
    assert win.bottom.count() == 3
    assert [win.bottom.widget(i) for i in (1, 2)] == [win.check_section, win.diagnose_section]
    assert win.check_section.isVisibleTo(win)
    assert "could not start: No profile is selected." in win.check_section.summary.text()


@pytest.mark.asyncio
async def test_the_frame_shows_first_and_builds_once(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(build=False)
    qtbot.addWidget(win)
    win.show()
    assert not win.built
    assert win.windowTitle() == "RelayDesk"
    assert win.statusBar().currentMessage() == "Starting RelayDesk…"
    assert not hasattr(win, "listener_pane")
    win.build()
    pane = win.listener_pane
    win.build()  # a second call changes nothing
    assert win.built and win.listener_pane is pane
    assert win.sides.widget(0) is pane
    assert win.statusBar().currentMessage() == ""
    await win.shutdown()


def test_the_window_carries_the_stylesheet_and_its_panes_follow_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The stylesheet is the window's, not the application's (so that panes built
    bottom-up are polished once, when they join the window), and it still styles
    what is built into the window afterwards."""
    from PySide6.QtWidgets import QApplication

    from relaydesk.gui.resources import load_stylesheet

    win = MainWindow(build=False)
    qtbot.addWidget(win)
    assert QApplication.instance().styleSheet() == ""  # type: ignore[union-attr]
    assert win.styleSheet() == load_stylesheet() != ""
    win.show()
    win.build()
    for button in (win.sender_pane.connect_button, win.listener_pane.start_button):
        button.ensurePolished()
        assert button.font().bold()  # QPushButton#primaryAction
    title = win.sender_pane.findChild(QWidget, "paneTitle")
    assert title is not None
    title.ensurePolished()
    assert title.font().bold()


@pytest.mark.asyncio
async def test_closing_before_the_panes_exist_is_clean(qtbot, _isolated_config: Path) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(build=False)
    qtbot.addWidget(win)
    win.show()
    win.close()  # saves the geometry; there are no splitters yet
    await win.shutdown()  # nothing to stop
    assert (_isolated_config / "window.ini").is_file()
    assert not win.built


def test_the_connection_editor_is_a_window_of_its_own(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    before = (win.vertical.sizes(), win.size())
    win.connection.set_expanded(True)
    editor = win.connection.editor
    assert editor.isVisible() and editor.isWindow()
    assert not editor.isModal()
    assert win.connection.form.save_button.window() is editor  # Save is in the editor's footer
    assert not editor.scroll_area.isAncestorOf(
        win.connection.form.save_button
    )  # never scrolls away
    assert (win.vertical.sizes(), win.size()) == before  # panes and timeline untouched
    editor.close()
    assert not editor.isVisible() and not win.connection.toggle.isChecked()


def test_window_state_is_remembered(qtbot, _isolated_config: Path) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.resize(700, 500)  # within the offscreen screen, so no clamping
    first.sides.setSizes([200, 500])
    first.settings.setValue("last_profile", "Orders")
    first.close()
    assert (_isolated_config / "window.ini").is_file()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert second.size() == first.size()
    left, right = second.sides.sizes()
    assert left < right
    assert second.settings.value("last_profile") == "Orders"


def test_shortcuts_exist(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    keys = {s.key().toString() for s in win.findChildren(QShortcut)}
    for wanted in ("Ctrl+Return", "Ctrl+Enter", "Ctrl+L", "Ctrl+K"):
        assert QKeySequence(wanted).toString() in keys


def test_ctrl_l_without_a_profile_explains_what_to_do(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    [ctrl_l] = [s for s in win.findChildren(QShortcut) if s.key().toString() == "Ctrl+L"]
    ctrl_l.activated.emit()
    badge = win.listener_pane.state_badge
    assert "No listener identity" in badge.cause_label.text()
    assert "Demo" in badge.remedy_label.text()


def test_every_control_is_named_for_assistive_technology(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    kinds = (QAbstractButton, QLineEdit, QPlainTextEdit, QComboBox, QSpinBox)
    unnamed = []
    for widget in win.findChildren(QWidget):
        if not isinstance(widget, kinds) or widget.parent() is None:
            continue
        if type(widget).__name__ in ("QScrollBar",) or widget.objectName().startswith("qt_"):
            continue
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if not (widget.accessibleName() or widget.toolTip() or text):
            unnamed.append(f"{type(widget).__name__} {widget.objectName()!r}")
    assert unnamed == []


@pytest.mark.asyncio
async def test_no_keyring_is_said_in_status_bar_and_form(window: MainWindow) -> None:
    assert "kept for this session only" in window.secrets_label.text()
    note = window.connection.secret_note
    assert "session only" in note.text() and note.isVisibleTo(window.connection.editor)


@pytest.mark.asyncio
async def test_a_keyring_is_used_when_there_is_one() -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)  # the autouse fixture restores the failing one
    win = await _opened(MainWindow())
    try:
        assert "session only" not in win.secrets_label.text()
        assert not win.connection.secret_note.isVisibleTo(win.connection.editor)
        assert win.workspace.persistent_secrets
    finally:
        await win.shutdown()
        win.dispose()


def _fill_sas_form(window: MainWindow, address: str, key: str) -> None:
    form = window.connection.form
    form.address.setText(address)
    listener = form.listener_editor
    listener.kind_combo.setCurrentIndex(listener.kind_combo.findData("sas"))
    listener.sas_key_name.setText("RootManageSharedAccessKey")
    listener.sas_key.setText(key)
    form.same_as_listener.setChecked(True)


@pytest.mark.asyncio
async def test_new_save_rename_duplicate_delete(window: MainWindow, _isolated_config: Path) -> None:
    bar, actions = window.profile_bar, window.profile_controller
    bar.buttons["new"].click()
    await until(
        lambda: window.connection.form is not None and window.connection.form.isVisibleTo(window),
        "the blank form",
    )
    _fill_sas_form(window, "sb://ns1.servicebus.windows.net/orders", "c2VjcmV0LWtleQ==")
    assert window.connection.form.request_save()
    await until(lambda: bar.current_profile() == "New profile", "the saved profile")
    await until(lambda: window.listener_bridge.configured, "the bridges to be configured")
    await until(lambda: "orders" in window.connection.summary.text(), "the summary")
    store = window.workspace.store
    stored = store.secrets.get(secret_key("New profile", "listener"))
    assert stored is not None and stored.reveal() == "c2VjcmV0LWtleQ=="
    files = "".join(p.read_text() for p in (_isolated_config / "profiles").glob("*.json"))
    assert "c2VjcmV0LWtleQ==" not in files
    assert "ns1.servicebus.windows.net/orders" in window.connection.summary.text()

    actions.rename("New profile", "Orders")
    await until(lambda: bar.current_profile() == "Orders", "the rename")
    bar.buttons["duplicate"].click()
    await until(lambda: bar.current_profile() == "Orders copy", "the copy to be in use")
    assert store.secrets.get(secret_key("Orders copy", "listener")) is not None
    actions.delete("Orders copy")
    await until(lambda: "Orders copy" not in store.list(), "the delete")
    assert store.secrets.get(secret_key("Orders copy", "listener")) is None
    await until(lambda: window.settings.value("last_profile") == "Orders", "the fallback")
    assert bar.current_profile() == "Orders"


async def _import_sas_profile(window: MainWindow, namespace: str) -> None:
    """Import a SAS connection string for ``namespace``/hc and wait until it is active."""
    window.profile_controller.import_connection_string(
        f"Endpoint=sb://{namespace}/;SharedAccessKeyName=send;SharedAccessKey=a2V5;EntityPath=hc"
    )
    before = window.workspace.profile
    await until(
        lambda: window.workspace.profile is not before and window.workspace.backend is not None,
        "the imported profile",
    )


@pytest.mark.asyncio
async def test_import_connection_string(window: MainWindow) -> None:
    await _import_sas_profile(window, "ns2.servicebus.windows.net")
    profile = window.workspace.profile
    assert profile.identity("listener").kind == "sas"
    assert "ns2.servicebus.windows.net/hc" in profile.address
    # No keyring here: the status bar says where the key really is.
    await until(lambda: "Imported '" in window.statusBar().currentMessage(), "the message")
    message = window.statusBar().currentMessage()
    assert "kept in memory for this session only" in message
    assert "secret store" not in message


@pytest.mark.asyncio
async def test_import_with_a_keyring_says_the_key_is_in_the_secret_store() -> None:
    keyring.set_keyring(MemoryKeyring())  # the autouse fixture restores the failing one
    win = await _opened(MainWindow())
    try:
        await _import_sas_profile(win, "ns5.servicebus.windows.net")
        await until(lambda: "Imported '" in win.statusBar().currentMessage(), "the message")
        assert "its key is in the secret store" in win.statusBar().currentMessage()
    finally:
        await win.shutdown()
        win.dispose()


@pytest.mark.asyncio
async def test_activating_a_profile_again_reuses_its_token_providers(window: MainWindow) -> None:
    await _import_sas_profile(window, "ns3.servicebus.windows.net")
    first = window.workspace.backend
    await window.workspace.activate("Imported")  # e.g. after a Save
    again = window.workspace.backend
    assert again is not first
    assert again.listener_provider is first.listener_provider
    assert again.sender_provider is first.sender_provider


@pytest.mark.asyncio
async def test_bad_import_is_explained_not_raised(window: MainWindow) -> None:
    window.profile_controller.import_connection_string("Endpoint=nonsense")
    await until(lambda: bool(window.statusBar().currentMessage()), "a status message")
    assert "connection" in window.statusBar().currentMessage().lower()


@pytest.mark.asyncio
async def test_missing_secret_opens_the_form(window: MainWindow) -> None:
    window.profile_bar.buttons["new"].click()
    await until(lambda: window.connection.form is not None, "the form")
    _fill_sas_form(window, "sb://ns3.servicebus.windows.net/x", "a2V5")
    window.connection.form.request_save()
    await until(lambda: "Saved" in window.statusBar().currentMessage(), "the save")
    window.workspace.store.secrets.delete(secret_key("New profile", "listener"))
    window.connection.set_expanded(False)
    window.workspace.select("New profile")
    await until(lambda: window.connection.toggle.isChecked(), "the form to open")
    assert "secret" in window.statusBar().currentMessage().lower()
    assert window.listener_pane.state is ConnectionState.OFFLINE


def test_tab_order_follows_the_layout(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    areas = ("profile_bar", "connection", "listener_pane", "sender_pane", "timeline_view")
    visited: list[str] = []
    widget = start = win.profile_bar.combo
    for _ in range(5000):  # bounded walk around the focus chain
        tabbable = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        if tabbable and widget.isVisibleTo(win) and widget.isEnabled():
            area = next(a for a in (*areas, "") if not a or getattr(win, a).isAncestorOf(widget))
            if area and (not visited or visited[-1] != area):
                visited.append(area)
        widget = widget.nextInFocusChain()
        if widget is start:
            break
    assert visited == list(areas)


@pytest.mark.asyncio
async def test_unknown_profile_on_the_command_line_is_explained() -> None:
    win = MainWindow()
    win.show()
    win.load_profiles("Nope")
    try:
        await until(lambda: "Nope" in win.statusBar().currentMessage(), "the explanation")
        assert "New" in win.statusBar().currentMessage()
    finally:
        await win.shutdown()
        win.dispose()


@pytest.mark.asyncio
async def test_last_profile_is_selected_at_start() -> None:
    first = await _opened(MainWindow())
    first.profile_controller.import_connection_string(
        "Endpoint=sb://ns9.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=a2V5;"
        "EntityPath=hc"
    )
    await until(lambda: "Imported '" in first.statusBar().currentMessage(), "the import")
    await first.shutdown()
    first.dispose()
    second = await _opened(MainWindow())
    try:
        await until(lambda: second.profile_bar.current_profile() == "Imported", "the last one")
        # Secrets were in memory (no keyring): the form asks for the key again.
        await until(lambda: second.connection.toggle.isChecked(), "the form")
        assert "no profile named" not in second.statusBar().currentMessage()
    finally:
        await second.shutdown()
        second.dispose()


@pytest.mark.asyncio
async def test_export_profile_without_secrets(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import Qt

    from relaydesk.gui.widgets import profile_export_dialog

    monkeypatch.setattr(profile_export_dialog, "QFileDialog", FakeFileDialog)
    window.profile_controller.import_connection_string(
        "Endpoint=sb://ns4.servicebus.windows.net/;SharedAccessKeyName=k;"
        "SharedAccessKey=c2VjcmV0;EntityPath=hc"
    )
    await until(lambda: "Imported '" in window.statusBar().currentMessage(), "the import")
    window.profile_bar.buttons["export"].click()
    dialog = FakeFileDialog.instances[-1]
    assert dialog.shown and dialog.modality == Qt.WindowModality.NonModal
    target = tmp_path / "exported.json"
    dialog.fileSelected.emit(str(target))
    await until(target.exists, "the export")
    text = target.read_text(encoding="utf-8")
    assert "ns4.servicebus.windows.net" in text and "c2VjcmV0" not in text


@pytest.mark.asyncio
async def test_another_profile_does_not_inherit_tokens_or_errors(window: MainWindow) -> None:
    import time

    from relaydesk.relay.events import ErrorInfo, TokenInfo

    await _import_sas_profile(window, "ns5.servicebus.windows.net")
    token = TokenInfo(kind="sas", identity="send", expires_at=time.time() + 600)
    window.listener_bridge.token_changed.emit(token)  # as after a start
    window.sender_bridge.token_changed.emit(token)
    refusal = ErrorInfo("Forbidden", "The sender may not send.", "Grant the role.", status=403)
    window.sender_bridge.error.emit(refusal)
    window.sender_pane.http_tab.show_failure(refusal)
    assert "403" in window.sender_pane.state_badge.cause_label.text()
    assert window.listener_pane.token_badge.status_text.startswith("Expires in")

    await _import_sas_profile(window, "ns6.servicebus.windows.net")  # "Imported 2"
    await until(lambda: window.workspace.profile.name == "Imported 2", "the switch")
    for pane in (window.listener_pane, window.sender_pane):
        assert pane.token_badge.token is None
        assert pane.token_badge.status_text == ""
        assert pane.state_badge.cause_label.text() == ""
    assert window.sender_pane.http_tab.status_label.text() == "No response yet"


@pytest.mark.asyncio
async def test_another_profile_waits_to_be_asked_for_its_listener_count(window: MainWindow) -> None:
    """The old profile's count was wanted; the new one's is not asked for (a
    token nobody wanted) until the user asks or a side runs."""
    from relaydesk.gui.panes.sender_pane import ASK_LINK

    await _import_sas_profile(window, "ns7.servicebus.windows.net")
    window.sender_pane.listeners_label.linkActivated.emit("ask")
    assert window.sender_bridge.listener_count.wanted
    await _import_sas_profile(window, "ns8.servicebus.windows.net")  # "Imported 2"
    await until(lambda: window.workspace.profile.name == "Imported 2", "the switch")
    assert not window.sender_bridge.listener_count.wanted
    assert not window.sender_bridge.listener_count.polling
    assert window.sender_pane.listeners_label.text() == ASK_LINK
