"""End to end in demo mode: "Forward to" a local app, the inspector, Replay, the profile."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from relaydesk.gui.main_window import MainWindow
from relaydesk.relay.events import ConnectionState
from tests.gui.conftest import until
from tests.gui.demo_session import close_window, open_demo_window, start_listener
from tests.local_app import local_app

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


@pytest_asyncio.fixture
async def window(emulator_data_dir: Path) -> AsyncIterator[MainWindow]:
    win = await open_demo_window(emulator_data_dir)
    try:
        yield win
    finally:
        await close_window(win)


@pytest.mark.asyncio
async def test_forward_inspect_replay_and_keep_it_in_the_profile(
    window: MainWindow, tmp_path: Path
) -> None:
    async with local_app() as base:
        pane = window.listener_pane
        pane.settings_toggle.click()
        settings = pane.settings
        settings.forward_edit.setText("ftp://nope")
        assert settings.forward_error.isVisibleTo(settings)
        assert "Forward to" in settings.forward_error.text()
        settings.forward_edit.setText(base)
        assert not settings.forward_error.isVisibleTo(settings)
        settings.forward_edit.editingFinished.emit()
        assert pane.bridge.policy.forward_to == base
        assert not settings.http_echo.isEnabled()  # the local app answers now
        workspace = window.workspace
        assert workspace.profile.forward_to == base
        await until(
            lambda: workspace.store.load(workspace.profile.name).forward_to == base,
            "the profile saved with its Forward to",
        )

        await start_listener(window)
        tab = window.sender_pane.http_tab
        window.sender_pane.tabs.setCurrentWidget(tab)
        tab.method_combo.setCurrentText("POST")
        tab.suffix_edit.setText("api/echo")
        tab.headers_edit.setPlainText("Content-Type: application/json")
        tab.body_edit.setPlainText('{"hello": "local app"}')
        tab.send_button.click()
        await until(lambda: tab.status_label.text().startswith("200"), "the forwarded answer")
        assert '"hello": "local app"' in tab.response_view.toPlainText()

        inspector = pane.inspector
        pane.views.setCurrentWidget(inspector)
        await until(lambda: inspector.model.rowCount() == 1, "the inspector row")
        await until(lambda: inspector.model.exchange(0).status == 200, "the answer in the row")
        inspector.select_row(0)
        detail = inspector.detail.toPlainText()
        assert "POST /demo/api/echo" in detail and "listener → local service" in detail

        inspector.replay_button.click()
        assert window.sender_pane.tabs.currentWidget() is tab
        assert tab.suffix_edit.text() == "api/echo" and "original: 200" in tab.status_label.text()
        tab.body_edit.setPlainText('{"hello": "again"}')
        tab.send_button.click()
        await until(lambda: inspector.model.rowCount() == 2, "the replayed request")
        await until(lambda: "again" in tab.response_view.toPlainText(), "the replay's answer")
        assert "original: 200" in tab.status_label.text()

        inspector.export_to(str(tmp_path / "session.har"))
        entries = json.loads((tmp_path / "session.har").read_text())["log"]["entries"]
        assert [e["request"]["method"] for e in entries] == ["POST", "POST"]
        window.resize(1366, 768)
        window.grab().save(str(tmp_path / "window.png"))
    assert window.listener_pane.state is ConnectionState.ONLINE


@pytest.mark.asyncio
async def test_an_https_local_app_is_reached_once_its_ca_is_trusted(window: MainWindow) -> None:
    """The emulator itself serves https with a private CA: first refused (502, TLS),
    then answered once "Trust CA" names that CA, and the profile keeps the choice."""
    emulator = window.demo.emulator
    pane = window.listener_pane
    pane.settings_toggle.click()
    settings = pane.settings
    settings.forward_edit.setText(f"https://{emulator.namespace}/{emulator.tenant_id}/v2.0")
    settings.forward_edit.editingFinished.emit()
    await start_listener(window)
    tab = window.sender_pane.http_tab
    window.sender_pane.tabs.setCurrentWidget(tab)
    tab.method_combo.setCurrentText("GET")
    tab.suffix_edit.setText(".well-known/openid-configuration")
    tab.send_button.click()
    await until(lambda: tab.status_label.text().startswith("502"), "the TLS refusal")
    assert "TLS" in tab.response_view.toPlainText()

    settings.forward_ca_edit.setText(str(emulator.ca_file))
    settings.forward_ca_edit.editingFinished.emit()
    assert pane.bridge.policy.forward_ca_file == str(emulator.ca_file)
    tab.send_button.click()
    await until(lambda: tab.status_label.text().startswith("200"), "the local app's answer")
    assert "token_endpoint" in tab.response_view.toPlainText()
    workspace = window.workspace
    await until(
        lambda: (
            workspace.store.load(workspace.profile.name).forward_ca_file == str(emulator.ca_file)
        ),
        "the profile saved with its CA file",
    )
