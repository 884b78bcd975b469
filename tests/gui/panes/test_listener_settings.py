"""ListenerSettings edits the live ListenerPolicy."""

from __future__ import annotations

import pytest

from relaydesk.gui.bridges.policies import ListenerPolicy
from relaydesk.gui.panes.listener_settings import ListenerSettings, parse_header_lines

pytestmark = pytest.mark.gui


def test_settings_edit_the_live_policy(qtbot) -> None:  # type: ignore[no-untyped-def]
    policy = ListenerPolicy()
    settings = ListenerSettings(policy)
    qtbot.addWidget(settings)
    assert not settings.reject_status.isEnabled()
    settings.accept_combo.setCurrentIndex(1)
    settings.reject_status.setValue(429)
    settings.reject_reason.setText("Busy")
    settings.echo_check.setChecked(False)
    settings.http_echo.setChecked(False)
    settings.http_status.setValue(202)
    settings.http_headers.setPlainText("Content-Type: application/json")
    settings.http_body.setText('{"ok": true}')
    assert (policy.accept.accept, policy.accept.status, policy.accept.reason) == (
        False,
        429,
        "Busy",
    )
    assert policy.auto_echo is False
    assert (policy.http.echo, policy.http.status) == (False, 202)
    assert dict(policy.http.headers) == {"Content-Type": "application/json"}
    assert policy.http.body == b'{"ok": true}'


def test_parse_header_lines_ignores_junk() -> None:
    assert parse_header_lines("A: 1\n\n: x\nno colon\nB:2") == {"A": "1", "B": "2"}


def test_forward_to_is_checked_and_applied_only_when_valid(qtbot) -> None:  # type: ignore[no-untyped-def]
    from relaydesk.gui.bridges.policies import ListenerPolicy
    from relaydesk.gui.panes.listener_settings import ListenerSettings

    policy = ListenerPolicy()
    settings = ListenerSettings(policy)
    qtbot.addWidget(settings)
    seen: list[str] = []
    settings.forward_changed.connect(seen.append)
    settings.forward_edit.setText("127.0.0.1:8080")
    settings.forward_edit.editingFinished.emit()
    assert "Forward to" in settings.forward_error.text() and policy.forward_to == "" and not seen
    settings.forward_edit.setText("http://127.0.0.1:8080")
    settings.forward_edit.editingFinished.emit()
    assert policy.forward_to == "http://127.0.0.1:8080" and seen == ["http://127.0.0.1:8080"]
    assert settings.forward_error.text() == "" and not settings.http_status.isEnabled()
    settings.forward_edit.clear()
    settings.forward_edit.editingFinished.emit()
    assert policy.forward_to == "" and seen[-1] == "" and settings.echo_check.isEnabled()
