"""The desktop app signs a person in with a device code: the code shown large, then online.

The demo profile's listener becomes an Entra ID user signing in with a device
code; starting the listener opens the sign-in window (non-modal), which shows
the code and the link; the test enters it on the emulator's page as a person
would; the listener goes online as that user. A second window run shows
Cancel ending a sign-in with a typed, remedied error.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import aiohttp
import pytest

from relaydesk.emulator.certs import client_ssl_context
from relaydesk.profiles import IdentityConfig
from relaydesk.relay.events import ConnectionState
from tests.gui.conftest import until, wait_signal
from tests.gui.test_demo_e2e import _close, _demo_window

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


async def _enter_code(emulator: object, code: str, uri: str, user: str) -> None:
    account = emulator.world.users[user]  # type: ignore[attr-defined]
    context = client_ssl_context(Path(emulator.ca_file))  # type: ignore[attr-defined]
    forms = ({"otc": code}, {"otc": code, "login": account.upn, "passwd": account.password})
    async with aiohttp.ClientSession() as http:
        for form in forms:
            async with http.post(uri, data=form, ssl=context) as response:
                assert response.status == 200


@pytest.mark.asyncio
async def test_a_listener_user_signs_in_with_a_device_code(
    emulator_data_dir: Path, tmp_path: Path
) -> None:
    window = await _demo_window(emulator_data_dir)
    try:
        emulator = window.demo.emulator
        listener = dataclasses.replace(
            window.workspace.profile.identity("listener"),
            kind="user",
            sign_in="device_code",
            client_id="",
        )
        assert listener.authority_host and listener.ca_file
        profile = dataclasses.replace(
            window.workspace.profile, listener=listener, sender_same_as_listener=False
        )
        store = window.workspace.store
        await asyncio.to_thread(store.save, profile, overwrite=True)
        await window.workspace.activate(profile.name)

        window.listener_pane.start_button.click()
        panel = window.sign_in_panel
        await until(lambda: panel.isVisible() and bool(panel.code.text()), "the device code")
        assert panel.link.text().count("/devicelogin") == 2  # href and text
        assert not panel.isModal()
        panel.grab().save(str(tmp_path / "device-code.png"))  # looked at while writing this
        uri = panel.link.text().split("'")[1]
        await _enter_code(emulator, panel.code.text(), uri, "listener-user")
        await until(lambda: window.listener_pane.state is ConnectionState.ONLINE, "online")
        await until(lambda: panel.title.text() == "Signed in", "the panel says so")
        panel.cancel_button.click()  # now "Close"
        assert not panel.isVisible()

        window.listener_pane.start_button.click()  # now "Stop"
        await until(lambda: window.listener_pane.state is ConnectionState.OFFLINE, "stopped")
        window.sign_out_action.trigger()
        (accounts,) = await wait_signal(window.workspace.signed_out)
        assert accounts == [emulator.world.users["listener-user"].upn]
        window.listener_pane.start_button.click()  # asks again
        await until(lambda: panel.isVisible() and bool(panel.code.text()), "a new code")
        panel.cancel_button.click()
        await until(lambda: panel.title.text() == "Sign-in did not finish", "cancelled")
        assert "cancelled" in panel.status.text()
    finally:
        await _close(window)


def test_identity_editor_offers_the_two_sign_ins(qtbot: object) -> None:
    from relaydesk.gui.widgets.identity_editor import IdentityEditor

    editor = IdentityEditor("listener")
    kinds = [editor.kind_combo.itemData(i) for i in range(editor.kind_combo.count())]
    assert kinds == ["entra", "user:browser", "user:device_code", "sas"]
    user = IdentityConfig(kind="user", tenant_id="organizations", sign_in="device_code")
    editor.set_identity(user, secret_stored=False)
    assert editor.identity() == user
    assert editor.secret() is None
    assert editor.form.isRowVisible(editor.rows["tenant_id"])
    assert not editor.form.isRowVisible(editor.rows["client_secret"])
    assert "public client" in editor.client_id.placeholderText()
