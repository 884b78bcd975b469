"""CheckPanel: one row per step with icon, words, duration and remedy."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from relaydesk.check import CHECK_STEPS
from relaydesk.gui.widgets.check_panel import CheckPanel

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot: QtBot) -> CheckPanel:
    widget = CheckPanel()
    qtbot.addWidget(widget)
    return widget


def test_default_steps_match_the_check(panel: CheckPanel) -> None:
    assert panel.step_names() == [key for key, _title in CHECK_STEPS]
    assert all(panel.status(name) == "pending" for name in panel.step_names())
    assert panel.row_text("token") == "○ Token pending"


def test_set_step_shows_words_duration_and_detail(panel: CheckPanel) -> None:
    panel.set_step("token", "running")
    assert panel.row_text("token") == "◔ Token running…"
    panel.set_step("token", "passed", 0.1824, "entra 'listener'")
    assert panel.row_text("token") == "✓ Token passed 182.4 ms entra 'listener'"
    panel.set_step("Sender connected", "failed", 1.5, "Forbidden 403. Remedy: assign the role")
    assert panel.status("sender_connected") == "failed"
    assert panel.row_text("sender_connected") == (
        "✗ Sender connected failed 1.50 s Forbidden 403. Remedy: assign the role"
    )


def test_unknown_steps_get_a_row_and_reset_clears(panel: CheckPanel) -> None:
    panel.set_step("dns_lookup", "skipped")
    assert panel.step_names()[-1] == "dns_lookup"
    assert panel.row_text("dns_lookup") == "– Dns lookup skipped"
    panel.set_step("token", "passed", 0.2, "ok")
    panel.reset()
    assert panel.row_text("token") == "○ Token pending"
    assert panel.status("dns_lookup") == "pending"


def test_status_accepts_an_enum_value(panel: CheckPanel) -> None:
    from relaydesk.check import StepStatus

    panel.set_step("http_round_trip", StepStatus.PASSED, 0.01)
    assert panel.status("http_round_trip") == "passed"


def test_show_event_adds_remedy_and_tracking_id(panel: CheckPanel) -> None:
    from relaydesk.check import CheckStepEvent, StepStatus
    from relaydesk.relay.events import ErrorInfo

    error = ErrorInfo(
        kind="Forbidden", message="no", remedy="assign the role", status=403, tracking_id="trk"
    )
    event = CheckStepEvent(
        at=1.0,
        side="check",
        step="sender_connected",
        title="Sender connected",
        status=StepStatus.FAILED,
        duration=0.5,
        detail="Forbidden 403",
        error=error,
    )
    panel.show_event(event)
    assert panel.row_text("sender_connected") == (
        "✗ Sender connected failed 500.0 ms Forbidden 403"
        " · Remedy: assign the role · TrackingId: trk"
    )


def test_a_passed_detail_is_one_line_and_a_failure_wraps(panel: CheckPanel) -> None:
    panel.resize(420, 200)
    width = panel.minimumSizeHint().width()
    long = "listener: entra token for 033092c1-81da-49fe-a327-b9e5f708b8ca, cached " * 3
    panel.set_step("token", "passed", 0.01, long)
    detail = _accessible(panel, "Token details")
    assert panel.minimumSizeHint().width() == width  # elided, not widening the panel
    assert not detail.wordWrap()  # one line (the old label wrapped and was clipped)
    assert detail.toolTip() == long  # whole in the tooltip
    panel.set_step("token", "failed", 0.01, long)
    assert detail.wordWrap()  # a cause and remedy are read, not elided


def _accessible(panel: CheckPanel, name: str) -> QLabel:
    """The label a screen reader announces as ``name``."""
    return next(w for w in panel.findChildren(QLabel) if w.accessibleName() == name)
