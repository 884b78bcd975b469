"""DemoFaultBar: each button calls the demo bridge; the line shows what it reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from relaydesk.gui.bridges.demo_bridge import DemoBridge
from relaydesk.gui.bridges.listener_bridge import ListenerBridge
from relaydesk.gui.bridges.sender_bridge import SenderBridge
from relaydesk.gui.bridges.workspace import Workspace
from relaydesk.gui.widgets.demo_fault_bar import DemoFaultBar

pytestmark = pytest.mark.gui


def test_buttons_reach_the_bridge_and_its_reports_show(qtbot: QtBot, tmp_path: Path) -> None:
    workspace = Workspace(ListenerBridge(), SenderBridge(), config_dir=tmp_path)
    demo = DemoBridge(workspace)
    bar = DemoFaultBar(demo)
    qtbot.addWidget(bar)
    bar.expire_button.click()  # no emulator runs: reported, not raised
    assert bar.result_label.text() == "Fault failed: Demo mode is not running."
    bar.role_button.click()
    assert demo.sender_role_revoked and bar.role_button.text() == "Restore sender role"
    bar.role_button.click()
    assert not demo.sender_role_revoked and bar.role_button.text() == "Revoke sender role"
    demo.fault_applied.emit("Listener answers HTTP requests promptly again")
    assert bar.result_label.text() == "Listener answers HTTP requests promptly again"
