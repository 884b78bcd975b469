"""The desktop app through a real proxy: token, listener, sender and HTTP, with Basic auth.

The demo profile goes direct; here it is switched to an explicit tinyproxy on
127.0.0.1 with a user name (the password in the secret store, as the
connection editor saves it), and the proxy's own log must show every
connection.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from relaydesk.profiles.model import PROXY_SECRET_SLOT, ProxyConfig
from relaydesk.relay.events import ConnectionState
from relaydesk.secrets import Secret, secret_key
from tests.gui.conftest import until
from tests.gui.demo_session import close_window, open_demo_window, send_and_await_echo
from tests.tinyproxy import Tinyproxy

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


@pytest.mark.asyncio
async def test_the_app_works_through_an_authenticating_proxy(
    emulator_data_dir: Path, make_tinyproxy: Callable[..., Tinyproxy]
) -> None:
    window = await open_demo_window(emulator_data_dir)
    try:
        port = int(window.demo.emulator.namespace.rsplit(":", 1)[1])
        proxy = make_tinyproxy([port], user="dora", password="gui-proxy-pass")
        store = window.workspace.store
        profile = dataclasses.replace(
            window.workspace.profile,
            proxy=ProxyConfig(mode="explicit", url=proxy.url, username="dora"),
        )
        await asyncio.to_thread(store.save, profile, overwrite=True)
        await store.secrets.set_async(
            secret_key(profile.name, PROXY_SECRET_SLOT), Secret("gui-proxy-pass")
        )
        await window.workspace.activate(profile.name)
        assert window.workspace.backend.proxy.username == "dora"

        window.listener_pane.start_button.click()
        await until(lambda: window.listener_pane.state is ConnectionState.ONLINE, "listener")
        window.sender_pane.connect_button.click()
        await until(lambda: window.sender_pane.state is ConnectionState.ONLINE, "sender")
        await send_and_await_echo(window, "via the proxy")
        tab = window.sender_pane.http_tab
        window.sender_pane.tabs.setCurrentWidget(tab)
        tab.body_edit.setPlainText("http via the proxy")
        tab.send_button.click()
        await until(lambda: tab.status_label.text().startswith("200"), "the HTTP answer")
        await until(
            lambda: window.sender_pane.listeners_label.text() == "Listeners: 1", "runtime info"
        )
    finally:
        await close_window(window)
    connects = proxy.connects()
    assert set(connects) == {f"127.0.0.1:{port}"}
    # tokens (listener, sender: discovery + token), control channel, sender,
    # rendezvous, HTTP, runtime info
    assert len(connects) >= 6, connects
