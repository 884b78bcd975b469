"""End to end in demo mode: the real window, the real in-process emulator, real TLS.

Every scenario clicks the real widgets (buttons, composer, HTTP tab, fault
buttons) and waits on what the user would see (badges, logs, timeline).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from relaydesk.gui.main_window import MainWindow
from relaydesk.relay.events import (
    ChannelClosed,
    ConnectionEnded,
    ConnectionState,
    ErrorOccurred,
    StateChanged,
    TokenRenewed,
)
from tests.gui.conftest import until
from tests.gui.demo_session import close_window, open_demo_window, received, start_listener
from tests.memory_keyring import MemoryKeyring

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


@pytest_asyncio.fixture
async def window(emulator_data_dir: Path) -> AsyncIterator[MainWindow]:
    win = await open_demo_window(emulator_data_dir)
    try:
        yield win
    finally:
        await close_window(win)


async def _connect_sender(window: MainWindow) -> None:
    window.sender_pane.connect_button.click()
    await until(lambda: window.sender_pane.state is ConnectionState.ONLINE, "sender connected")


def _events(window: MainWindow, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in window.timeline_model.events() if isinstance(e, kind)]


@pytest.mark.asyncio
async def test_start_connect_send_receive_and_http(window: MainWindow) -> None:
    assert window.listener_pane.start_button.text() == "Start"
    await start_listener(window)
    assert window.listener_pane.start_button.text() == "Stop"
    await _connect_sender(window)
    await until(lambda: bool(window.listener_pane.connections.connection_ids()), "a connection row")

    window.sender_pane.composer.set_text("hello relay")
    window.sender_pane.composer.send_button.click()
    await until(lambda: received(window.listener_pane.log_model, "hello relay"), "listener log")
    await until(lambda: received(window.sender_pane.log_model, "hello relay"), "the echo")
    assert window.sender_pane.rtt_label.text().startswith("Round trip:")
    assert window.sender_pane.token_badge.token is not None

    tab = window.sender_pane.http_tab
    window.sender_pane.tabs.setCurrentWidget(tab)
    tab.method_combo.setCurrentText("PUT")
    tab.suffix_edit.setText("orders/42")
    tab.query_edit.setText("a=1")
    tab.headers_edit.setPlainText("Content-Type: text/plain\nX-Demo: yes")
    tab.body_edit.setPlainText("ping")
    tab.send_button.click()
    await until(lambda: tab.status_label.text().startswith("200"), "the HTTP response")
    assert "ping" in tab.response_view.toPlainText()
    assert "text/plain" in tab.response_view.toPlainText()


@pytest.mark.asyncio
async def test_listener_reject_policy_reaches_the_sender(window: MainWindow) -> None:
    window.listener_pane.settings_toggle.click()
    settings = window.listener_pane.settings
    settings.accept_combo.setCurrentIndex(1)
    settings.reject_status.setValue(451)
    settings.reject_reason.setText("Not today")
    await start_listener(window)
    window.sender_pane.connect_button.click()
    badge = window.sender_pane.state_badge
    # The error event comes first, the OFFLINE state right after it: the pump
    # may hand control back to Qt between the two, so wait for both.
    await until(
        lambda: (
            "451" in badge.cause_label.text()
            and window.sender_pane.state is ConnectionState.OFFLINE
        ),
        "the rejection on the sender, offline",
    )


@pytest.mark.asyncio
async def test_a_policy_edit_applies_to_the_running_listener(window: MainWindow) -> None:
    await start_listener(window)
    settings = window.listener_pane.settings
    settings.accept_combo.setCurrentIndex(1)
    settings.reject_status.setValue(429)
    settings.reject_reason.setText("Busy")
    window.sender_pane.connect_button.click()
    badge = window.sender_pane.state_badge
    await until(lambda: "429" in badge.cause_label.text(), "the rejection on the sender")
    assert window.listener_pane.state is ConnectionState.ONLINE  # no restart was needed


@pytest.mark.asyncio
async def test_drop_control_channel_reconnects(window: MainWindow) -> None:
    await start_listener(window)
    states: list[ConnectionState] = []
    window.listener_bridge.state_changed.connect(lambda e: states.append(e.state))
    window.demo_bar.drop_button.click()
    await until(lambda: ConnectionState.RECONNECTING in states, "reconnecting")
    await until(lambda: window.listener_pane.state is ConnectionState.ONLINE, "online again")
    assert any(c.code == 1006 for c in _events(window, ChannelClosed))
    assert "reconnect" in window.demo_bar.result_label.text()


@pytest.mark.asyncio
async def test_expired_token_reconnects_with_a_new_token(window: MainWindow) -> None:
    await start_listener(window)
    states: list[ConnectionState] = []
    window.listener_bridge.state_changed.connect(lambda e: states.append(e.state))
    window.demo_bar.expire_button.click()
    badge = window.listener_pane.token_badge
    first = badge.token
    await until(lambda: any(c.code == 1008 for c in _events(window, ChannelClosed)), "1008")
    # ONLINE *after* RECONNECTING: the pane still says ONLINE between the 1008
    # and the RECONNECTING event, and the new token reaches the badge before
    # the new channel's TLS handshake is done. Ending the test there would
    # leave that handshake to finish while no loop runs.
    await until(
        lambda: ConnectionState.RECONNECTING in states and states[-1] is ConnectionState.ONLINE,
        "online again",
    )
    await until(lambda: badge.token != first, "the new token on the badge")
    assert badge.tokens == 2
    assert badge.renewals_label.text().startswith("New token")
    assert "Not renewed yet" not in badge.renewals_label.text()


@pytest.mark.asyncio
async def test_revoked_sender_role_shows_the_403_remedy(window: MainWindow) -> None:
    await start_listener(window)
    window.demo_bar.role_button.click()
    await until(
        lambda: (
            window.demo.sender_role_revoked and "revoked" in window.demo_bar.result_label.text()
        ),
        "the revocation",
    )
    window.sender_pane.connect_button.click()
    badge = window.sender_pane.state_badge
    await until(lambda: "403" in badge.cause_label.text(), "the 403 on the sender")
    assert "Azure Relay Sender role" in badge.remedy_label.text()
    assert "5 minutes" in badge.remedy_label.text()
    token = window.sender_pane.token_badge.token  # shown even though it was refused
    assert token is not None and token.kind == "entra"
    # The refusal (error) and the OFFLINE it causes are two events: wait for both.
    await until(lambda: window.sender_pane.connect_button.text() == "Connect", "Connect again")
    await until(
        lambda: any(
            isinstance(e, StateChanged) and e.side == "sender" and e.error is not None
            for e in window.timeline_model.events()
        ),
        "the sender's OFFLINE with its error",
    )
    refusals = [
        e
        for e in window.timeline_model.events()
        if isinstance(e, ErrorOccurred) and e.side == "sender"
    ]
    assert len(refusals) == 1  # one row for one refusal
    assert "Azure Relay Sender role" in refusals[0].error.remedy  # tailored to the side

    window.demo_bar.role_button.click()  # restore
    await until(lambda: "restored" in window.demo_bar.result_label.text(), "the restore")
    await _connect_sender(window)
    assert badge.cause_label.text() == ""


@pytest.mark.asyncio
async def test_slow_listener_gives_504_with_a_remedy(window: MainWindow) -> None:
    await start_listener(window)
    window.demo_bar.slow_button.click()
    await until(lambda: "slow" in window.demo_bar.result_label.text(), "slow mode")
    tab = window.sender_pane.http_tab
    tab.send_button.click()
    await until(lambda: tab.status_label.text().startswith("Failed"), "the 504", within=30)
    assert "504" in tab.status_label.text()
    assert "listener" in tab.response_view.toPlainText().lower()


def _log_previews(model) -> list[str]:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    model.flush()
    return [
        str(model.index(r, 5).data(Qt.ItemDataRole.DisplayRole)) for r in range(model.rowCount())
    ]


@pytest.mark.asyncio
async def test_slow_listener_tells_the_same_story_on_both_sides(window: MainWindow) -> None:
    await start_listener(window)
    window.demo_bar.slow_button.click()
    await until(lambda: "slow" in window.demo_bar.result_label.text(), "slow mode")
    tab = window.sender_pane.http_tab
    tab.send_button.click()
    await until(lambda: tab.status_label.text().startswith("Failed"), "the 504", within=30)
    # The listener answered at once; its log says the relay held that answer.
    held = [p for p in _log_previews(window.listener_pane.log_model) if p.startswith("200 in")]
    assert held and all("held by the relay" in p and "504" in p for p in held)
    # The sender's failure says why the 504 came although the listener answered.
    assert "Demo fault 'Slow listener' is on" in tab.response_view.toPlainText()
    model = window.timeline_model
    await until(
        lambda: "504 explained" in model.entry(model.rowCount() - 1).text, "the sender's note"
    )
    entries = [model.entry(r) for r in range(model.rowCount())]
    notes = {(entry.side, entry.text) for entry in entries if "demo fault" in entry.text}
    assert {side for side, _text in notes} == {"listener", "sender"}
    assert entries[-2].side == "sender" and "504" in entries[-2].text  # the error, then why

    window.demo_bar.slow_button.click()  # off again: no more notes
    await until(lambda: "promptly" in window.demo_bar.result_label.text(), "prompt mode")
    tab.send_button.click()
    await until(lambda: tab.status_label.text().startswith("200"), "the prompt answer")
    last = _log_previews(window.listener_pane.log_model)[-1]
    assert last.startswith("200 in") and "held" not in last


@pytest.mark.asyncio
async def test_check_button_runs_every_step(window: MainWindow) -> None:
    window.profile_bar.buttons["check"].click()
    section = window.check_section
    await until(
        lambda: "passed" in section.summary.text() or "failed" in section.summary.text(),
        "the check to finish",
        within=60,
    )
    assert "passed" in section.summary.text(), [
        section.panel.row_text(n) for n in section.panel.step_names()
    ]
    assert all(section.panel.status(n) == "passed" for n in section.panel.step_names())
    model = window.timeline_model
    rows = [model.entry(r) for r in range(model.rowCount())]
    check_rows = [e.text for e in rows if e.side == "check"]
    assert len(check_rows) == len(section.panel.step_names()) + 1, check_rows
    assert check_rows[-1].startswith("check passed in")


@pytest.mark.asyncio
async def test_session_export_is_redacted(window: MainWindow, tmp_path: Path) -> None:
    await start_listener(window)
    await _connect_sender(window)
    window.sender_pane.composer.set_text("exported message")
    window.sender_pane.composer.send_button.click()
    await until(lambda: received(window.sender_pane.log_model, "exported message"), "echo")
    path = tmp_path / "session.jsonl"
    window.export_session(str(path))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert any(line["type"] == "MessageReceived" for line in lines)
    text = path.read_text(encoding="utf-8")
    for identity in window.demo.emulator.identities.values():
        assert identity.client_secret not in text
    assert "Exported" in window.statusBar().currentMessage()


@pytest.mark.asyncio
async def test_keyring_missing_keeps_secrets_for_the_session(window: MainWindow) -> None:
    assert "kept for this session only" in window.secrets_label.text()
    note = window.connection.secret_note
    assert note.isVisibleTo(window.connection.editor) and "this session only" in note.text()
    assert not window.workspace.persistent_secrets
    await start_listener(window)  # the in-memory secrets work


@pytest.mark.asyncio
@pytest.mark.slow
async def test_renewal_is_visible_in_badge_and_timeline(emulator_data_dir: Path) -> None:
    window = await open_demo_window(emulator_data_dir, token_lifetime=6)
    try:
        await start_listener(window)
        badge = window.listener_pane.token_badge
        await until(lambda: badge.renewals >= 1, "a renewal in the badge", within=30)
        assert _events(window, TokenRenewed)
        assert window.listener_pane.state is ConnectionState.ONLINE
    finally:
        await close_window(window)


@pytest.mark.asyncio
async def test_quit_mid_session_sends_close_frames_quickly(
    emulator_data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Quitting mid-flood closes both sides cleanly within the stop grace: no
    bridge is detached after its grace ran out (no timed assertion: the
    bridges log when a stop overruns its grace)."""
    window = await open_demo_window(emulator_data_dir)
    await start_listener(window)
    await _connect_sender(window)
    window.sender_pane.composer.set_text("x" * 1024)
    window.sender_pane.composer.repeat_spin.setValue(100_000)
    window.sender_pane.composer.send_button.click()
    await until(lambda: window.listener_pane.log_model.appended_count > 50, "traffic")
    closing = asyncio.Event()
    window.close_requested.connect(closing.set)
    window.close()
    assert closing.is_set()
    async with asyncio.timeout(30):  # hang guard only
        await close_window(window)
    overran = [r.getMessage() for r in caplog.records if "did not stop within" in r.getMessage()]
    assert not overran
    listener_closed = [c for c in _events(window, ChannelClosed) if c.side == "listener"]
    assert listener_closed and not listener_closed[-1].by_peer
    assert listener_closed[-1].code == 1000
    ended = [e for e in _events(window, ConnectionEnded) if e.side == "sender"]
    # 1000 from our close frame, or 1001 when the relay relays the listener's
    # close first; 1006 would mean no close handshake at all.
    assert ended and ended[-1].code in (1000, 1001)
    offline = [e for e in _events(window, StateChanged) if e.state is ConnectionState.OFFLINE]
    assert {e.side for e in offline} >= {"listener", "sender"}
    assert not window.demo.running


@pytest.mark.asyncio
async def test_copy_token_puts_a_jwt_on_the_clipboard(window: MainWindow) -> None:
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.clipboard().setText("")
    await start_listener(window)
    window.listener_pane.token_badge.copy_button.click()
    await until(lambda: QGuiApplication.clipboard().text().count(".") == 2, "a JWT")
    assert "password" in window.statusBar().currentMessage()


@pytest.mark.asyncio
async def test_pin_to_this_apps_listener(window: MainWindow) -> None:
    window.sender_pane.pin_check.setChecked(True)
    assert window.sender_bridge.options.pinned_listener is None  # no listener yet
    await start_listener(window)
    listener_id = window.listener_bridge.listener_id
    assert listener_id and window.sender_bridge.options.pinned_listener == listener_id
    await _connect_sender(window)
    await until(lambda: bool(window.listener_pane.connections.connection_ids()), "the accept")
    window.sender_pane.pin_check.setChecked(False)
    assert window.sender_bridge.options.pinned_listener is None


@pytest.mark.asyncio
async def test_pin_to_another_listener_is_refused(window: MainWindow) -> None:
    from relaydesk.gui.bridges.backends import SenderOptions

    await start_listener(window)
    window.sender_bridge.options = SenderOptions("00000000-0000-0000-0000-000000000000")
    window.sender_pane.connect_button.click()
    badge = window.sender_pane.state_badge
    await until(lambda: bool(badge.cause_label.text()), "the refusal")
    # The refusal (error) and the OFFLINE it causes are two events: wait for both.
    await until(lambda: window.sender_pane.state is ConnectionState.OFFLINE, "offline")
    assert window.listener_pane.connections.connection_ids() == []


@pytest.mark.asyncio
async def test_switching_profile_stops_what_the_old_one_runs(window: MainWindow) -> None:
    from relaydesk.profiles.model import IdentityConfig, Profile
    from relaydesk.secrets import Secret

    await start_listener(window)
    other = Profile(
        name="Other",
        address="sb://other.servicebus.windows.net/hc",
        listener=IdentityConfig(kind="sas", sas_key_name="rule"),
        sender_same_as_listener=True,
    )
    window.workspace.store.save(other)
    window.workspace.store.set_secret("Other", "listener", Secret("a2V5"))
    window.workspace.select("Other")
    await until(lambda: window.listener_pane.state is ConnectionState.OFFLINE, "the stop")
    assert window.workspace.profile.name == "Other"


@pytest.mark.asyncio
async def test_listener_count_and_the_no_listener_warning(window: MainWindow) -> None:
    from relaydesk.gui.panes.sender_pane import ASK_LINK

    pane = window.sender_pane
    assert pane.listeners_label.text() == ASK_LINK  # nobody connects yet: nothing asked
    pane.connect_button.click()  # the relay is asked first
    await until(lambda: pane.no_listener_warning.isVisibleTo(pane), "the warning")
    assert "No listener is online" in pane.no_listener_warning.text()
    assert pane.listeners_label.text() == "Listeners: 0"
    assert not window.sender_bridge.running  # warned, not sent
    await start_listener(window)
    await until(lambda: pane.listeners_label.text() == "Listeners: 1", "Listeners: 1")
    assert not pane.no_listener_warning.isVisibleTo(pane)
    await _connect_sender(window)


@pytest.mark.asyncio
async def test_rename_keeps_live_connections(window: MainWindow) -> None:
    await start_listener(window)
    await _connect_sender(window)
    await until(lambda: bool(window.listener_pane.connections.connection_ids()), "a connection")
    seen = len(window.timeline_model.events())
    window.profile_bar.start_rename()
    window.profile_bar.editor_input.setText("Stage demo")
    window.profile_bar.confirm_editor()
    await until(lambda: "Renamed" in window.statusBar().currentMessage(), "the rename")
    assert "stay open" in window.statusBar().currentMessage()
    assert window.workspace.profile.name == "Stage demo"
    assert window.profile_bar.current_profile() == "Stage demo"
    window.sender_pane.composer.set_text("after the rename")
    window.sender_pane.composer.send_button.click()
    await until(lambda: received(window.sender_pane.log_model, "after the rename"), "the echo")
    later = window.timeline_model.events()[seen:]
    assert not [e for e in later if isinstance(e, ChannelClosed | ConnectionEnded)]
    assert window.listener_pane.state is ConnectionState.ONLINE
    assert window.sender_pane.state is ConnectionState.ONLINE
    assert window.sender_pane.token_badge.token is not None  # still the live connection's


@pytest.mark.asyncio
async def test_diagnose_panel_shows_the_steps_and_copies_a_redacted_report(
    window: MainWindow,
) -> None:
    from PySide6.QtGui import QGuiApplication

    await start_listener(window)
    window.diagnose_action.trigger()
    section = window.diagnose_section
    await until(lambda: section.copy_button.isEnabled(), "the diagnosis to finish")
    panel = section.panel
    assert panel.step_names()[:3] == ["dns", "proxy", "tcp"]
    assert section.summary.text().startswith("Diagnosis: passed"), section.summary.text()
    assert panel.status("tls") == "ok" and "RelayDesk Emulator" not in panel.row_text("dns")
    assert panel.status("listeners") == "ok" and "1 listener" in panel.row_text("listeners")
    assert panel.status("gateway") == "skipped"
    QGuiApplication.clipboard().setText("")
    section.copy_button.click()
    report = QGuiApplication.clipboard().text()
    assert report.startswith("RelayDesk diagnosis of sb://127.0.0.1:")
    assert "qt: PySide6" in report and "result: passed" in report
    assert "proxy mode: none" in report  # the demo profile goes direct
    for identity in window.demo.emulator.identities.values():
        assert identity.client_secret not in report
    assert "eyJ" not in report


def _secret_location(window: MainWindow, role: str) -> str:
    from PySide6.QtWidgets import QLabel

    form = window.connection.form
    editor = form.listener_editor if role == "listener" else form.sender_editor
    label = editor.rows["client_secret"].findChild(QLabel, "secretLocation")
    return str(label.text())


@pytest.mark.asyncio
async def test_a_start_into_the_demo_opens_the_keyring_only_when_a_secret_needs_it(
    emulator_data_dir: Path,
) -> None:
    """``relaydesk --demo``: the status bar says the keyring is checked on first
    use (it is not opened for the demo's throw-away secrets); opening the editor
    opens it, and the demo's secrets are still said to be in memory."""
    import keyring

    from relaydesk.gui.models.form_checks import SESSION_LOCATION

    backend = MemoryKeyring()
    keyring.set_keyring(backend)  # the autouse fixture restores the failing one
    window = MainWindow(demo_data_dir=emulator_data_dir)
    try:
        window.show()
        window.load_profiles(demo=True)
        window.start_demo()
        await until(lambda: window.listener_bridge.configured, "the demo profile")
        assert window.secrets_label.text() == "Secrets: OS keyring, checked on first use"
        assert not window.workspace.secrets.opened
        window.connection.set_expanded(True)
        await until(lambda: window.workspace.secrets.opened, "the keyring to be opened")
        await until(
            lambda: window.secrets_label.text() != "Secrets: OS keyring, checked on first use",
            "the status bar",
        )
        assert window.secrets_label.text() == f"Secrets: {window.workspace.secrets.backend_name}"
        assert "session only" not in window.secrets_label.text()
        for role in ("listener", "sender"):
            assert _secret_location(window, role) == f"stored in {SESSION_LOCATION}"
        assert backend.items == {}
        await start_listener(window)  # the demo's secrets in memory work
    finally:
        await close_window(window)
