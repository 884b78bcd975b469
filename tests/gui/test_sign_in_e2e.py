"""The desktop app signs people in: a device code shown large, and the system browser.

The demo profile's listener becomes an Entra ID user signing in with a device
code; starting the listener opens the sign-in window (non-modal), which shows
the code and the link; the test enters it on the emulator's page as a person
would; the listener goes online as that user. Sign out makes the next start
ask again, and Cancel ends that sign-in. The sender signs in with the browser:
``$BROWSER`` is headless Chromium driven over CDP (``tests/browser_sign_in.py``),
and the sender sends as sender-user.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import sys
from pathlib import Path

import aiohttp
import pytest

from relaydesk.emulator.certs import client_ssl_context
from relaydesk.profiles import IdentityConfig
from relaydesk.relay.events import ConnectionState, MessageReceived
from tests.gui.conftest import TIMEOUT, until, wait_signal
from tests.gui.test_demo_e2e import _close, _demo_window, _start_listener

pytestmark = [pytest.mark.gui, pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
DRIVER = Path(__file__).resolve().parents[1] / "browser_sign_in.py"


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


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium")
@pytest.mark.asyncio
async def test_a_sender_user_signs_in_with_the_browser_and_sends(
    emulator_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The system browser ($BROWSER: headless Chromium over CDP) signs sender-user in."""
    window = await _demo_window(emulator_data_dir)
    try:
        emulator = window.demo.emulator
        user = emulator.world.users["sender-user"]
        monkeypatch.setenv("BROWSER", f"{sys.executable} {DRIVER} %s")
        monkeypatch.setenv("RD_TEST_LOGIN", user.upn)
        monkeypatch.setenv("RD_TEST_PASSWORD", user.password)
        base = window.workspace.profile
        sender = dataclasses.replace(
            base.identity("listener"), kind="user", sign_in="browser", client_id=""
        )
        profile = dataclasses.replace(base, sender=sender, sender_same_as_listener=False)
        await asyncio.to_thread(window.workspace.store.save, profile, overwrite=True)
        await window.workspace.activate(profile.name)

        await _start_listener(window)
        window.sender_pane.connect_button.click()
        # A cold Chromium start on a loaded machine can take most of the usual bound.
        await until(
            lambda: window.sender_pane.state is ConnectionState.ONLINE,
            "sender online after the browser sign-in",
            within=3 * TIMEOUT,
        )
        assert window.sign_in_panel.title.text() == "Signed in"
        window.sender_pane.composer.set_text("from a person")
        window.sender_pane.composer.send_button.click()
        model = window.sender_pane.log_model
        await until(
            lambda: any(
                isinstance(model.row_event(r), MessageReceived)
                and model.row_event(r).data == "from a person"
                for r in range(model.rowCount())
            ),
            "the echo",
        )
        badge = window.sender_pane.token_badge.identity_label.text()
        assert badge.startswith(f"Entra ID user · {user.upn}")
    finally:
        await _close(window)
