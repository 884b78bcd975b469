"""ListenerSettings shows a frozen ListenerPolicy and announces a new one per edit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from relaydesk.emulator.certs import ensure_certificates
from relaydesk.gui.bridges.policies import ListenerPolicy
from relaydesk.gui.panes.listener_settings import ListenerSettings, parse_header_lines
from relaydesk.profiles.model import Profile
from tests.gui.conftest import FakeFileDialog

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
    settings.forward_changed.connect(lambda policy: seen.append(policy.forward_to))
    settings.forward_edit.setText("127.0.0.1:8080")
    settings.forward_edit.editingFinished.emit()
    assert "Forward to" in settings.forward_error.text()
    assert settings.policy.forward_to == "" and not seen
    settings.forward_edit.setText("http://127.0.0.1:8080")
    settings.forward_edit.editingFinished.emit()
    assert settings.policy.forward_to == "http://127.0.0.1:8080"
    assert seen == ["http://127.0.0.1:8080"]
    assert settings.forward_error.text() == "" and not settings.http_status.isEnabled()
    assert not settings.forward_ca_edit.isEnabled()  # trust settings are for https only
    assert not settings.forward_insecure_check.isEnabled()
    settings.forward_edit.clear()
    settings.forward_edit.editingFinished.emit()
    assert settings.policy.forward_to == "" and seen[-1] == "" and settings.echo_check.isEnabled()


def test_an_https_local_apps_trust_is_checked_and_applied_with_the_url(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path
) -> None:
    files = ensure_certificates(tmp_path / "certs")
    settings = ListenerSettings(ListenerPolicy())
    qtbot.addWidget(settings)
    seen: list[ListenerPolicy] = []
    settings.forward_changed.connect(seen.append)
    settings.forward_edit.setText("https://127.0.0.1:8443")
    assert settings.forward_ca_edit.isEnabled() and settings.forward_insecure_check.isEnabled()
    settings.forward_ca_edit.setText(str(tmp_path / "missing.pem"))
    settings.forward_ca_edit.editingFinished.emit()
    assert settings.forward_error.text().startswith("Trust CA: cannot load CA certificates")
    assert not seen and settings.policy.forward_to == ""  # nothing half-applied
    not_a_ca = tmp_path / "notes.txt"
    not_a_ca.write_text("not a certificate")
    settings.forward_ca_edit.setText(str(not_a_ca))
    settings.forward_ca_edit.editingFinished.emit()
    assert "Trust CA" in settings.forward_error.text() and not seen
    settings.forward_ca_edit.setText(str(files.ca_file))
    settings.forward_ca_edit.editingFinished.emit()
    assert settings.forward_error.text() == ""
    assert (seen[-1].forward_to, seen[-1].forward_ca_file, seen[-1].forward_insecure) == (
        "https://127.0.0.1:8443",
        str(files.ca_file),
        False,
    )
    settings.forward_insecure_check.setChecked(True)
    assert seen[-1].forward_insecure and settings.policy is seen[-1] and len(seen) == 2


def test_the_ca_file_dialog_is_non_modal_and_applies_the_choice(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wiring checked with the fake dialog (a real one has crashed Qt later in the run)."""
    from PySide6.QtCore import Qt

    from relaydesk.gui.widgets import file_dialog

    monkeypatch.setattr(file_dialog, "QFileDialog", FakeFileDialog)
    files = ensure_certificates(tmp_path / "certs")
    settings = ListenerSettings(ListenerPolicy(forward_to="https://127.0.0.1:8443"))
    qtbot.addWidget(settings)
    seen: list[ListenerPolicy] = []
    settings.forward_changed.connect(seen.append)
    settings.forward_ca_button.click()
    dialog = FakeFileDialog.instances[-1]
    assert dialog.shown and dialog.modality == Qt.WindowModality.NonModal
    assert dialog.delete_on_close
    dialog.fileSelected.emit(str(files.ca_file))
    dialog.finished.emit(0)
    assert settings.forward_ca_edit.text() == str(files.ca_file)
    assert seen and seen[-1].forward_ca_file == str(files.ca_file)


def test_a_profile_switch_announces_its_forward_url(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = ListenerSettings(ListenerPolicy())
    qtbot.addWidget(settings)
    announced: list[ListenerPolicy] = []
    settings.policy_changed.connect(announced.append)
    forwarded: list[ListenerPolicy] = []
    settings.forward_changed.connect(forwarded.append)
    profile = Profile(
        name="p",
        address="sb://ns.example/hc",
        forward_to="https://127.0.0.1:9000",
        forward_ca_file="/etc/ssl/dev-ca.pem",
        forward_insecure=True,
    )
    settings.show_forward(profile)
    assert [(p.forward_to, p.forward_ca_file, p.forward_insecure) for p in announced] == [
        ("https://127.0.0.1:9000", "/etc/ssl/dev-ca.pem", True)
    ]
    assert settings.forward_edit.text() == "https://127.0.0.1:9000"
    assert settings.forward_ca_edit.text() == "/etc/ssl/dev-ca.pem"
    assert settings.forward_insecure_check.isChecked()
    assert not forwarded  # the profile already holds it: nothing to save
    assert "Trust CA" in settings.forward_error.text()  # that file is not here: said so
