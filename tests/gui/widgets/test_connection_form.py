"""ConnectionForm: live address check, invalid fields marked with reasons, Save gated."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from relaydesk.errors import InvalidField
from relaydesk.gui.widgets.connection_form import ConnectionForm
from relaydesk.profiles.model import IdentityConfig, Profile
from relaydesk.secrets import MemorySecretStore, Secret

pytestmark = pytest.mark.gui

TENANT = "d3f1c2a0-1111-2222-3333-444455556666"
CLIENT = "7f3c0000-aaaa-bbbb-cccc-ddddeeeeffff"


class KeyringLikeStore(MemorySecretStore):
    """A persistent-looking store, to check the "stored in …" wording."""

    @property
    def backend_name(self) -> str:
        return "GNOME Keyring"

    @property
    def persistent(self) -> bool:
        return True


def _entra() -> IdentityConfig:
    return IdentityConfig(kind="entra", tenant_id=TENANT, client_id=CLIENT)


def _profile(**changes: object) -> Profile:
    values: dict[str, object] = {
        "name": "Local demo",
        "address": "sb://127.0.0.1:50123/demo",
        "listener": _entra(),
        "sender_same_as_listener": True,
    }
    values.update(changes)
    return Profile(**values)  # type: ignore[arg-type]


@pytest.fixture
def form(qtbot: QtBot) -> ConnectionForm:
    widget = ConnectionForm(MemorySecretStore())
    qtbot.addWidget(widget)
    return widget


def test_address_is_normalised_as_you_type(form: ConnectionForm) -> None:
    form.address.setText("https://127.0.0.1:50123/demo/?x=1")
    assert form.address_status.text() == "✓ sb://127.0.0.1:50123/demo"
    form.address.setText("sb://user@host/demo")
    assert form.address_status.text() == ""
    assert form.address.property("invalid") is True
    assert "user names or passwords" in form.field_error("address")
    assert "user names or passwords" in form.address.toolTip()


def test_a_valid_profile_with_a_stored_secret_saves(form: ConnectionForm, qtbot: QtBot) -> None:
    form.set_profile(_profile(), {"listener": True})
    assert form.errors() == []
    with qtbot.waitSignal(form.save_requested, timeout=2000):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.profile() == _profile()
    assert form.secrets() == {}  # nothing typed: the stored one is kept


def test_invalid_fields_are_marked_with_reasons_and_save_is_refused(
    form: ConnectionForm, qtbot: QtBot, tmp_path: Path
) -> None:
    listener = IdentityConfig(
        kind="entra",
        tenant_id=TENANT,
        client_id="not-a-guid",
        ca_file=str(tmp_path / "missing.pem"),
    )
    sender = IdentityConfig(kind="sas", sas_key_name="send-only")
    form.set_profile(
        _profile(listener=listener, sender=sender, sender_same_as_listener=False),
        {"listener": True},
    )
    fields = [problem.field for problem in form.errors()]
    assert fields == ["listener.client_id", "listener.ca_file", "sender.sas_key"]
    assert form.listener_editor.client_id.property("invalid") is True
    assert "must be a GUID" in form.field_error("listener.client_id")
    assert "must be a GUID" in form.listener_editor.client_id.toolTip()
    assert not form.listener_editor.rows["client_id"].error_label.isHidden()
    assert form.field_error("sender.sas_key") == "enter the SAS key"
    assert form.listener_editor.tenant_id.property("invalid") is False
    assert form.listener_editor.advanced_button.isChecked()  # opened to show the CA problem
    with qtbot.assertNotEmitted(form.save_requested):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    with pytest.raises(InvalidField) as excinfo:
        form.profile()
    assert excinfo.value.field == "listener.client_id"


def test_fixing_a_field_clears_its_mark(form: ConnectionForm) -> None:
    form.set_profile(
        _profile(listener=IdentityConfig(kind="entra", tenant_id=TENANT, client_id="x")),
        {"listener": True},
    )
    assert form.field_error("listener.client_id")
    form.listener_editor.client_id.setText(CLIENT)
    assert form.field_error("listener.client_id") == ""
    assert form.listener_editor.client_id.property("invalid") is False
    assert form.is_valid()


def test_a_blank_new_profile_is_marked_only_after_edits_or_save(form: ConnectionForm) -> None:
    form.set_profile(Profile(name="New profile", address=""))
    assert form.errors()  # not valid …
    assert form.field_error("address") == ""  # … but not shouting yet
    assert form.field_error("listener.tenant_id") == ""
    assert not form.request_save()
    assert form.field_error("address").startswith("the address is empty")
    assert form.field_error("listener.tenant_id")
    assert form.field_error("listener.client_secret") == "enter the client secret"


def test_a_new_profile_after_another_starts_unmarked(form: ConnectionForm) -> None:
    form.set_profile(_profile(sender_same_as_listener=False), {"listener": True})
    form.set_profile(Profile(name="New profile", address=""))  # New, after using another
    for field in ("address", "listener.tenant_id", "listener.client_secret", "sender.client_id"):
        assert form.field_error(field) == "", field
    assert form.address.property("invalid") is False


def test_only_the_touched_field_is_marked(form: ConnectionForm) -> None:
    form.set_profile(Profile(name="New profile", address=""))
    form.listener_editor.tenant_id.setText("not a tenant!")
    assert form.field_error("listener.tenant_id")
    assert form.field_error("listener.client_id") == ""  # not touched yet
    assert form.field_error("listener.client_secret") == ""
    assert form.field_error("address") == ""
    form.listener_editor.client_id.editingFinished.emit()  # focus left the empty field
    assert form.field_error("listener.client_id")


def test_messages_do_not_move_the_fields(form: ConnectionForm, qtbot: QtBot) -> None:
    form.show()
    form.set_profile(Profile(name="New profile", address=""))
    qtbot.waitExposed(form)
    editor = form.listener_editor
    before = {
        name: row.editor.mapTo(form, row.editor.rect().topLeft())
        for name, row in editor.rows.items()
    }
    assert not form.request_save()  # every problem shows now
    assert form.field_error("listener.tenant_id")
    after = {
        name: row.editor.mapTo(form, row.editor.rect().topLeft())
        for name, row in editor.rows.items()
    }
    assert after == before
    for row in editor.rows.values():
        assert row.editor.height() >= row.editor.minimumSizeHint().height()


def test_typed_secrets_are_returned_as_secrets(form: ConnectionForm) -> None:
    form.set_profile(
        _profile(
            sender_same_as_listener=False,
            sender=IdentityConfig(kind="sas", sas_key_name="send-only"),
        )
    )
    assert form.field_error("listener.client_secret") == "enter the client secret"
    form.listener_editor.client_secret.setText("s3cret")
    form.sender_editor.sas_key.setText("k3y")
    assert form.is_valid()
    assert form.secrets() == {"listener": Secret("s3cret"), "sender": Secret("k3y")}
    assert "s3cret" not in repr(form.secrets())
    assert form.listener_editor.client_secret.echoMode() == QLineEdit.EchoMode.Password
    assert form.sender_editor.sas_key.echoMode() == QLineEdit.EchoMode.Password


def test_same_as_listener_hides_the_sender(form: ConnectionForm) -> None:
    form.set_profile(_profile(), {"listener": True})
    assert form.sender_editor.isHidden()
    form.same_as_listener.setChecked(False)
    assert not form.sender_editor.isHidden()
    assert not form.is_valid()  # the sender now needs its own identity
    form.sender_editor.kind_combo.setCurrentIndex(
        form.sender_editor.kind_combo.findData("anonymous")
    )
    assert form.is_valid()
    assert form.profile().sender.kind == "anonymous"


def test_anonymous_is_offered_only_to_the_sender(form: ConnectionForm) -> None:
    assert form.listener_editor.kind_combo.findData("anonymous") == -1
    assert form.sender_editor.kind_combo.findData("anonymous") >= 0
    form.set_profile(_profile(listener=IdentityConfig(kind="anonymous")))
    assert form.listener_editor.kind() == "entra"  # falls back to a kind it can edit


def test_kind_switches_the_visible_fields(form: ConnectionForm) -> None:
    editor = form.listener_editor
    form.show()
    assert editor.tenant_id.isVisible() and not editor.sas_key_name.isVisible()
    editor.kind_combo.setCurrentIndex(editor.kind_combo.findData("sas"))
    assert editor.sas_key_name.isVisible() and not editor.tenant_id.isVisible()
    assert not editor.authority_host.isVisible()


def _notes(form: ConnectionForm, role: str = "listener") -> dict[str, str]:
    editor = form.listener_editor if role == "listener" else form.sender_editor
    return {
        name: editor.rows[name].findChild(QLabel, "secretLocation").text()
        for name in ("client_secret", "sas_key")
    }


def test_secret_notes_claim_storage_only_for_a_stored_secret(qtbot: QtBot) -> None:
    keyring = ConnectionForm(KeyringLikeStore())
    qtbot.addWidget(keyring)
    keyring.set_profile(_profile(), {})  # nothing stored, nothing typed
    assert _notes(keyring)["client_secret"] == "nothing stored yet: Save keeps it in GNOME Keyring"
    keyring.listener_editor.client_secret.setText("typed")
    assert _notes(keyring)["client_secret"] == "Save stores it in GNOME Keyring"
    keyring.set_profile(_profile(), {"listener": True})
    assert _notes(keyring)["client_secret"] == "stored in GNOME Keyring"
    keyring.set_secret_store(MemorySecretStore())
    assert _notes(keyring)["client_secret"] == "no keyring: kept in memory for this session only"
    memory = ConnectionForm(MemorySecretStore())
    qtbot.addWidget(memory)
    assert set(_notes(memory).values()) == {
        "no keyring: what you type is kept for this session only"
    }


def test_ca_file_browse_is_non_modal(form: ConnectionForm, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    dialog = form.listener_editor.open_ca_dialog()
    try:
        assert not dialog.isModal()
        dialog.fileSelected.emit(str(ca))
        assert form.listener_editor.ca_file.text() == str(ca)
    finally:
        dialog.close()


def test_controls_have_accessible_names(form: ConnectionForm) -> None:
    editors = (form.listener_editor, form.sender_editor)
    widgets = [form.address, form.save_button, form.same_as_listener]
    for editor in editors:
        widgets += [
            editor.kind_combo,
            editor.cloud_combo,
            editor.advanced_button,
            editor.browse_button,
            *(row.editor for row in editor.rows.values()),
        ]
    for widget in widgets:
        assert widget.accessibleName(), widget.objectName()


def test_the_proxy_is_edited_validated_and_its_password_kept_apart(
    form: ConnectionForm, qtbot: QtBot
) -> None:
    from relaydesk.profiles.model import ProxyConfig

    form.set_profile(_profile(), {"listener": True})
    editor = form.proxy_editor
    assert editor.mode_combo.currentData() == "system" and not editor.url.isEnabled()
    editor.mode_combo.setCurrentIndex(editor.mode_combo.findData("explicit"))
    assert editor.url.isEnabled()
    assert [p.field for p in form.errors()] == ["proxy.url"]
    assert "proxy URL" in form.proxy_editor.rows["url"].error
    qtbot.keyClicks(editor.url, "ftp://proxy:21")
    assert "not supported" in editor.rows["url"].error
    editor.url.clear()
    qtbot.keyClicks(editor.url, "http://proxy.corp:3128")
    qtbot.keyClicks(editor.username, "alice")
    qtbot.keyClicks(editor.password, "pr0xy")
    assert form.errors() == []
    profile = form.profile()
    assert profile.proxy == ProxyConfig("explicit", "http://proxy.corp:3128", "alice")
    assert form.secrets() == {"proxy": Secret("pr0xy")}
    assert "pr0xy" not in repr(profile)
    form.set_profile(profile, {"listener": True, "proxy": True})
    assert editor.password.text() == "" and "stored" in editor.password.placeholderText()
    assert form.profile().proxy == profile.proxy
