"""ListenerSettings shows a frozen ListenerPolicy and announces a new one per edit."""

from __future__ import annotations

import dataclasses

import pytest

from relaydesk.gui.bridges.policies import ListenerPolicy
from relaydesk.gui.panes.listener_settings import ListenerSettings, parse_header_lines

pytestmark = pytest.mark.gui


def test_each_edit_announces_a_new_policy_and_leaves_the_old_one(qtbot) -> None:  # type: ignore[no-untyped-def]
    original = ListenerPolicy()
    settings = ListenerSettings(original)
    qtbot.addWidget(settings)
    announced: list[ListenerPolicy] = []
    settings.policy_changed.connect(announced.append)
    assert not settings.reject_status.isEnabled()
    settings.accept_combo.setCurrentIndex(1)
    settings.reject_status.setValue(429)
    settings.reject_reason.setText("Busy")
    settings.echo_check.setChecked(False)
    settings.http_echo.setChecked(False)
    settings.http_status.setValue(202)
    settings.http_headers.setPlainText("Content-Type: application/json")
    settings.http_body.setText('{"ok": true}')
    policy = announced[-1]
    assert policy is settings.policy
    assert (policy.accept.accept, policy.accept.status, policy.accept.reason) == (
        False,
        429,
        "Busy",
    )
    assert policy.auto_echo is False
    assert (policy.http.echo, policy.http.status) == (False, 202)
    assert dict(policy.http.headers) == {"Content-Type": "application/json"}
    assert policy.http.body == b'{"ok": true}'
    # A relay task holding the old policy never sees it change under it.
    assert original == ListenerPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.auto_echo = True  # type: ignore[misc]


def test_parse_header_lines_ignores_junk() -> None:
    assert parse_header_lines("A: 1\n\n: x\nno colon\nB:2") == {"A": "1", "B": "2"}


def test_forward_to_is_checked_and_applied_only_when_valid(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = ListenerSettings(ListenerPolicy())
    qtbot.addWidget(settings)
    seen: list[str] = []
    settings.forward_changed.connect(seen.append)
    settings.forward_edit.setText("127.0.0.1:8080")
    settings.forward_edit.editingFinished.emit()
    assert "Forward to" in settings.forward_error.text()
    assert settings.policy.forward_to == "" and not seen
    settings.forward_edit.setText("http://127.0.0.1:8080")
    settings.forward_edit.editingFinished.emit()
    assert settings.policy.forward_to == "http://127.0.0.1:8080"
    assert seen == ["http://127.0.0.1:8080"]
    assert settings.forward_error.text() == "" and not settings.http_status.isEnabled()
    settings.forward_edit.clear()
    settings.forward_edit.editingFinished.emit()
    assert settings.policy.forward_to == "" and seen[-1] == "" and settings.echo_check.isEnabled()


def test_a_profile_switch_announces_its_forward_url(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = ListenerSettings(ListenerPolicy())
    qtbot.addWidget(settings)
    announced: list[ListenerPolicy] = []
    settings.policy_changed.connect(announced.append)
    settings.show_forward("http://127.0.0.1:9000")
    assert [p.forward_to for p in announced] == ["http://127.0.0.1:9000"]
    assert settings.forward_edit.text() == "http://127.0.0.1:9000"
