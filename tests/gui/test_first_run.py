"""The first run: a greeting with two ways in, each ending on a working pair or a clear cause."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from relaydesk.gui.main_window import MainWindow
from relaydesk.relay.events import ConnectionState
from tests.gui.conftest import TIMEOUT, until

pytestmark = pytest.mark.gui


async def _first_start(**options: object) -> MainWindow:
    window = MainWindow(**options)  # type: ignore[arg-type]
    window.show()
    window.load_profiles()
    await until(lambda: window.first_run.showing, "the welcome page")
    return window


@pytest_asyncio.fixture
async def window(emulator_data_dir: Path) -> AsyncIterator[MainWindow]:
    win = await _first_start(demo_data_dir=emulator_data_dir)
    try:
        yield win
    finally:
        await win.shutdown()
        win.dispose()


async def _pair_online(window: MainWindow) -> None:
    await until(
        lambda: (
            window.listener_pane.state is ConnectionState.ONLINE
            and window.sender_pane.state is ConnectionState.ONLINE
        ),
        "the listener online and the sender connected",
        within=TIMEOUT * 2,
    )


@pytest.mark.asyncio
async def test_no_profile_greets_with_two_ways_in(window: MainWindow) -> None:
    page = window.first_run.page
    assert window.pages.currentWidget() is page
    assert page.offline_button.text() == "Try it offline (built-in emulator)"
    assert page.azure_button.text() == "Connect to my Azure Relay"
    assert not page.setup.isVisibleTo(window)
    assert not window.connection.isVisibleTo(window)  # nothing to summarise yet
    page.azure_button.click()
    assert page.setup.isVisibleTo(window) and page.check.isVisibleTo(window)
    assert not window.first_run.form.sender_box.isVisibleTo(window)  # one identity
    page.save_button.click()  # nothing filled in: marked, nothing saved
    assert window.first_run.form.field_error("address")
    assert window.workspace.store.list() == []


@pytest.mark.asyncio
async def test_a_pasted_connection_string_fills_address_and_sas_identity(
    window: MainWindow,
) -> None:
    page = window.first_run.page
    page.azure_button.click()
    page.paste.setText(
        "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=RootManage;"
        "SharedAccessKey=a2V5;EntityPath=orders"
    )
    page.paste_button.click()
    form = window.first_run.form
    assert form.address.text() == "sb://contoso.servicebus.windows.net/orders"
    assert form.listener_editor.kind() == "sas"
    assert form.listener_editor.sas_key_name.text() == "RootManage"
    assert form.is_valid()
    assert page.paste.text() == ""  # the key is in the key field only
    page.paste.setText("Endpoint=nonsense")
    page.paste_button.click()
    assert "no SharedAccessKeyName and SharedAccessKey" in page.paste_error.text()


@pytest.mark.asyncio
async def test_try_it_offline_ends_on_a_working_pair(window: MainWindow) -> None:
    window.first_run.page.offline_button.click()
    await _pair_online(window)
    assert not window.first_run.showing
    assert window.connection.isVisibleTo(window)


def _fill_entra(window: MainWindow, emulator, secret: str | None = None) -> None:  # type: ignore[no-untyped-def]
    owner = emulator.world.identities["owner"]
    form = window.first_run.form
    window.first_run.page.azure_button.click()
    form.address.setText(f"sb://{emulator.namespace}/demo")
    editor = form.listener_editor
    editor.tenant_id.setText(emulator.tenant_id)
    editor.client_id.setText(owner.client_id)
    editor.client_secret.setText(secret or owner.client_secret)
    editor.advanced_button.setChecked(True)
    editor.authority_host.setText(f"https://{emulator.namespace}")
    editor.ca_file.setText(str(emulator.ca_file))


@pytest.mark.asyncio
async def test_connect_to_my_relay_checks_and_ends_on_a_working_pair(
    window: MainWindow, emulator_data_dir: Path
) -> None:
    from relaydesk.emulator import Emulator, EmulatorOptions

    async with Emulator(EmulatorOptions(data_dir=emulator_data_dir)) as emulator:
        _fill_entra(window, emulator)
        window.first_run.page.save_button.click()
        await _pair_online(window)
        assert not window.first_run.showing
        assert "passed" in window.first_run.page.check.summary.text()
        assert window.workspace.profile.name == "My Azure Relay"
        await window.listener_bridge.aclose()
        await window.sender_bridge.aclose()


@pytest.mark.asyncio
async def test_a_failing_check_stays_with_its_cause(
    window: MainWindow, emulator_data_dir: Path
) -> None:
    from relaydesk.emulator import Emulator, EmulatorOptions

    async with Emulator(EmulatorOptions(data_dir=emulator_data_dir)) as emulator:
        _fill_entra(window, emulator, secret="not-the-secret")
        page = window.first_run.page
        page.save_button.click()
        await until(lambda: "failed" in page.check.summary.text(), "the failed check")
        assert window.first_run.showing  # the form stays, to fix the secret
        assert page.save_button.isEnabled()
        step_texts = " ".join(
            label.text() for label in page.check.panel.findChildren(type(page.status))
        )
        assert "secret" in step_texts.lower() or "AADSTS" in step_texts
        assert window.listener_pane.state is ConnectionState.OFFLINE


@pytest.mark.asyncio
async def test_an_emulator_that_cannot_start_gives_the_buttons_back(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the emulator wants its data directory", encoding="utf-8")
    window = await _first_start(demo_data_dir=blocked)
    try:
        page = window.first_run.page
        page.offline_button.click()
        await until(lambda: page.offline_button.isEnabled(), "the buttons back")
        assert not window.statusBar().currentMessage().startswith("Starting")  # the cause
        assert window.first_run.showing and page.status.text() == ""
    finally:
        await window.shutdown()
        window.dispose()


@pytest.mark.asyncio
async def test_a_start_with_profiles_never_builds_the_welcome_page(
    emulator_data_dir: Path,
) -> None:
    """The page (~220 widgets) is made the first time it shows, so a window with
    profiles is ready sooner and smaller; one with none still greets (above)."""
    from relaydesk.profiles.model import IdentityConfig, Profile

    first = await _first_start(demo_data_dir=emulator_data_dir)
    assert first.workspace.store is not None
    first.workspace.store.save(
        Profile(
            name="Saved",
            address="sb://ns.servicebus.windows.net/hc",
            listener=IdentityConfig(kind="sas", sas_key_name="rule"),
            sender_same_as_listener=True,
        )
    )
    await first.shutdown()
    first.dispose()
    window = MainWindow(demo_data_dir=emulator_data_dir)
    try:
        window.show()
        window.load_profiles("Saved")
        await until(lambda: window.profile_bar.current_profile() == "Saved", "the profile")
        assert window.pages.count() == 1  # the panes only
        assert not window.first_run.built and not window.first_run.showing
    finally:
        await window.shutdown()
        window.dispose()


@pytest.mark.asyncio
async def test_a_start_into_the_demo_skips_the_greeting(emulator_data_dir: Path) -> None:
    """``relaydesk --demo`` on a first run: the demo is the way in, so the greeting
    (whose "Try it offline" would start the same demo) is neither shown nor built."""
    window = MainWindow(demo_data_dir=emulator_data_dir)
    shown: list[object] = []
    window.pages.currentChanged.connect(lambda index: shown.append(window.pages.widget(index)))
    try:
        window.show()
        window.load_profiles()
        window.start_demo()  # what main_coroutine does for --demo
        await until(lambda: window.demo_info is not None, "demo mode", within=TIMEOUT * 2)
        assert shown == []  # the panes throughout
        assert window.pages.currentWidget() is window.vertical
        assert not window.first_run.built
    finally:
        await window.shutdown()
        window.dispose()
