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
import logging
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import msal
import pytest
from PySide6.QtWidgets import QLabel

from relaydesk.auth.user_provider import UserTokenProvider
from relaydesk.emulator.certs import client_ssl_context
from relaydesk.emulator.world_model import ROLE_SENDER
from relaydesk.gui.main_window import MainWindow
from relaydesk.profiles.model import IdentityConfig
from relaydesk.relay.events import ConnectionState
from tests.gui.conftest import TIMEOUT, until, wait_signal
from tests.gui.demo_session import (
    close_window,
    open_demo_window,
    send_and_await_echo,
    start_listener,
)

pytestmark = [pytest.mark.gui, pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
DRIVER = Path(__file__).resolve().parents[1] / "browser_sign_in.py"


async def _enter_code(emulator: object, code: str, uri: str, user: str) -> None:
    account = emulator.users[user]  # type: ignore[attr-defined]
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
    window = await open_demo_window(emulator_data_dir)
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
        assert accounts == [emulator.users["listener-user"].upn]
        window.listener_pane.start_button.click()  # asks again
        await until(lambda: panel.isVisible() and bool(panel.code.text()), "a new code")
        panel.cancel_button.click()
        await until(lambda: panel.title.text() == "Sign-in did not finish", "cancelled")
        assert "cancelled" in panel.status.text()
    finally:
        await close_window(window)


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
    window = await open_demo_window(emulator_data_dir)
    try:
        emulator = window.demo.emulator
        user = emulator.users["sender-user"]
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

        await start_listener(window)
        window.sender_pane.connect_button.click()
        # A cold Chromium start on a loaded machine can take most of the usual bound.
        await until(
            lambda: window.sender_pane.state is ConnectionState.ONLINE,
            "sender online after the browser sign-in",
            within=3 * TIMEOUT,
        )
        assert window.sign_in_panel.title.text() == "Signed in"
        await send_and_await_echo(window, "from a person")
        badge = window.sender_pane.token_badge.identity_label.text()
        assert badge.startswith(f"Entra ID user · {user.upn}")
    finally:
        await close_window(window)


@pytest.fixture
def app_log(tmp_path: Path) -> Iterator[Path]:
    """The app's logging (``configure_logging``) into the test's config dir, undone after."""
    from relaydesk.gui.app_logging import configure_logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    own_level = logging.getLogger("relaydesk").level
    path = configure_logging(tmp_path / "config")
    assert path is not None
    yield path
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.getLogger("relaydesk").setLevel(own_level)
    logging.captureWarnings(False)


def _written(config: Path, log: Path, export: Path) -> dict[str, str]:
    """What the session left on disk: the log, the export and every file of the config dir."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    texts = {"the log": log.read_text(encoding="utf-8"), "the export": export.read_text()}
    for path in config.rglob("*"):
        if path.is_file():
            texts[str(path.relative_to(config))] = path.read_text(errors="replace")
    return texts


def _msal_secrets(window: MainWindow) -> tuple[set[str], set[str]]:
    """Every access token and refresh token in the MSAL caches of the app's providers."""
    kinds = msal.TokenCache.CredentialType
    access, refresh = set(), set()
    pool = window.workspace._providers
    assert pool is not None
    for provider in pool._providers.values():
        if isinstance(provider, UserTokenProvider):
            cache = provider.cache.cache
            access |= {i["secret"] for i in cache.search(kinds.ACCESS_TOKEN)}
            refresh |= {i["secret"] for i in cache.search(kinds.REFRESH_TOKEN)}
    return access, refresh


@pytest.mark.asyncio
async def test_a_signed_in_gui_session_leaks_no_password_or_token(
    emulator_data_dir: Path,
    tmp_path: Path,
    app_log: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A person signs in (device code), listens, sends, exports; then no password, access
    token or refresh token is in the profile files, the log, the export, stdout/stderr,
    any event's repr or any label or tooltip of the window."""
    window = await open_demo_window(emulator_data_dir)
    emulator = window.demo.emulator
    # One person listens and sends (one sign-in: the sender's listener-count fetch and the
    # listener share the provider, so a single device code is shown).
    await emulator.fault(
        "grant-role", {"identity": "listener-user", "role": ROLE_SENDER, "scope": "/demo"}
    )
    try:
        base = window.workspace.profile
        person = dataclasses.replace(
            base.identity("listener"), kind="user", sign_in="device_code", client_id=""
        )
        profile = dataclasses.replace(base, listener=person, sender_same_as_listener=True)
        await asyncio.to_thread(window.workspace.store.save, profile, overwrite=True)
        await window.workspace.activate(profile.name)

        window.listener_pane.start_button.click()
        panel = window.sign_in_panel
        await until(lambda: panel.isVisible() and bool(panel.code.text()), "the device code")
        uri = panel.link.text().split("'")[1]
        await _enter_code(emulator, panel.code.text(), uri, "listener-user")
        await until(lambda: window.listener_pane.state is ConnectionState.ONLINE, "online")
        window.sender_pane.connect_button.click()
        await until(lambda: window.sender_pane.state is ConnectionState.ONLINE, "connected")
        badge = window.listener_pane.token_badge
        assert badge.expiry_label.text().startswith("Token valid until")  # not the sign-in's
        assert "renews silently until Entra asks again" in badge.expiry_label.toolTip()
        await send_and_await_echo(window, "a signed-in message")
        export = tmp_path / "session.jsonl"
        window.export_session(str(export))

        access, refresh = _msal_secrets(window)
        assert access and refresh
        passwords = {emulator.users["listener-user"].password}
        events = [repr(e) for e in window.timeline_model.events()]
        model = window.sender_pane.log_model
        events += [repr(model.row_event(r)) for r in range(model.rowCount())]
        labels = [
            text
            for label in window.findChildren(QLabel)
            for text in (label.text(), label.toolTip())
        ]
    finally:
        await emulator.fault(
            "revoke-role", {"identity": "listener-user", "role": ROLE_SENDER, "scope": "/demo"}
        )
        await close_window(window)
    out, err = capfd.readouterr()
    texts = {
        **_written(tmp_path / "config", app_log, export),
        "stdout": out,
        "stderr": err,
        "events": "\n".join(events),
        "labels and tooltips": "\n".join(labels),
    }
    # The app's own log was written during the session (the demo's emulator logs in its
    # own process, so the person's name no longer shows up here).
    assert "relaydesk." in texts["the log"]
    assert any(name.endswith(".json") for name in texts), sorted(texts)  # the saved profile
    for where, text in texts.items():
        for kind, values in (("password", passwords), ("access token", access)):
            assert not any(v in text for v in values), f"a {kind} is in {where}"
        assert not any(v in text for v in refresh), f"a refresh token is in {where}"
