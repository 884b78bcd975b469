"""ProfileBar: every action is a signal; rename/delete/import use the inline editor."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from relaydesk.gui.widgets.profile_bar import ProfileBar

pytestmark = pytest.mark.gui


@pytest.fixture
def bar(qtbot: QtBot) -> ProfileBar:
    widget = ProfileBar()
    qtbot.addWidget(widget)
    widget.set_profiles(["Local demo", "orders"], current="Local demo")
    return widget


def _click(qtbot: QtBot, bar: ProfileBar, key: str) -> None:
    qtbot.mouseClick(bar.buttons[key], Qt.MouseButton.LeftButton)


def test_selecting_a_profile_emits_its_name(bar: ProfileBar, qtbot: QtBot) -> None:
    assert bar.current_profile() == "Local demo"
    with qtbot.waitSignal(bar.profile_selected, timeout=2000) as blocker:
        bar.combo.setCurrentIndex(1)
    assert blocker.args == ["orders"]


def test_set_profiles_and_set_current_do_not_emit(bar: ProfileBar, qtbot: QtBot) -> None:
    with qtbot.assertNotEmitted(bar.profile_selected):
        bar.set_profiles(["a", "b"], current="b")
        bar.set_current("a")
    assert bar.current_profile() == "a"


@pytest.mark.parametrize(
    ("key", "signal"),
    [
        ("new", "new_requested"),
        ("duplicate", "duplicate_requested"),
        ("demo", "demo_requested"),
        ("check", "check_requested"),
    ],
)
def test_plain_intents(bar: ProfileBar, qtbot: QtBot, key: str, signal: str) -> None:
    with qtbot.waitSignal(getattr(bar, signal), timeout=2000):
        _click(qtbot, bar, key)


def test_export_names_the_profile(bar: ProfileBar, qtbot: QtBot) -> None:
    with qtbot.waitSignal(bar.export_requested, timeout=2000) as blocker:
        _click(qtbot, bar, "export")
    assert blocker.args == ["Local demo"]


def test_rename_inline(bar: ProfileBar, qtbot: QtBot) -> None:
    _click(qtbot, bar, "rename")
    assert bar.editor_mode == "rename" and not bar.editor.isHidden()
    assert bar.editor_input.text() == "Local demo"
    bar.editor_input.setText("Demo 2")
    with qtbot.waitSignal(bar.rename_requested, timeout=2000) as blocker:
        qtbot.keyClick(bar.editor_input, Qt.Key.Key_Return)
    assert blocker.args == ["Local demo", "Demo 2"]
    assert bar.editor.isHidden() and bar.editor_mode == ""


def test_rename_to_the_same_name_keeps_the_editor_open(bar: ProfileBar, qtbot: QtBot) -> None:
    bar.start_rename()
    with qtbot.assertNotEmitted(bar.rename_requested):
        bar.confirm_editor()
    assert bar.editor_mode == "rename"
    bar.cancel_editor()
    assert bar.editor.isHidden()


def test_delete_asks_inline_first(bar: ProfileBar, qtbot: QtBot) -> None:
    with qtbot.assertNotEmitted(bar.delete_requested):
        _click(qtbot, bar, "delete")
    assert bar.editor_mode == "delete"
    assert "Local demo" in bar.editor_label.text()
    with qtbot.waitSignal(bar.delete_requested, timeout=2000) as blocker:
        _click_editor_confirm(bar, qtbot)
    assert blocker.args == ["Local demo"]


def _click_editor_confirm(bar: ProfileBar, qtbot: QtBot) -> None:
    qtbot.mouseClick(bar.editor_confirm, Qt.MouseButton.LeftButton)


def test_import_connection_string_is_hidden_like_a_password(bar: ProfileBar, qtbot: QtBot) -> None:
    _click(qtbot, bar, "import")
    assert bar.editor_input.echoMode() == QLineEdit.EchoMode.Password
    text = "Endpoint=sb://ns/;SharedAccessKeyName=r;SharedAccessKey=k;EntityPath=demo"
    bar.editor_input.setText(text)
    with qtbot.waitSignal(bar.import_requested, timeout=2000) as blocker:
        _click_editor_confirm(bar, qtbot)
    assert blocker.args == [text]
    assert bar.editor_input.text() == ""  # not kept around


def test_escape_cancels_and_actions_need_a_profile(bar: ProfileBar, qtbot: QtBot) -> None:
    bar.start_rename()
    qtbot.keyClick(bar, Qt.Key.Key_Escape)
    assert bar.editor_mode == ""
    bar.set_profiles([])
    for key in ("duplicate", "rename", "delete", "export", "check"):
        assert not bar.buttons[key].isEnabled()
    assert bar.buttons["new"].isEnabled() and bar.buttons["demo"].isEnabled()


def test_every_control_has_an_accessible_name_and_tooltip(bar: ProfileBar) -> None:
    for button in bar.buttons.values():
        assert button.accessibleName() and button.toolTip()
    assert bar.combo.accessibleName()
