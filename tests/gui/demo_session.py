"""Open, drive and close the real demo window: shared by the GUI end-to-end tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from relaydesk.gui.main_window import MainWindow
from relaydesk.relay.events import ConnectionState, MessageReceived
from tests.gui.conftest import until

__all__ = ["close_window", "open_demo_window", "received", "send_and_await_echo", "start_listener"]


async def open_demo_window(data_dir: Path, token_lifetime: float | None = None) -> MainWindow:
    """Show the window, press Demo and wait until the demo profile is in force."""
    window = MainWindow(token_lifetime=token_lifetime, demo_data_dir=data_dir)
    window.show()
    window.load_profiles()
    window.profile_bar.buttons["demo"].click()
    await until(lambda: window.demo_info is not None, "demo mode")
    await until(lambda: window.listener_bridge.configured, "the demo profile")
    return window


async def close_window(window: MainWindow) -> None:
    """Shut the window down as quitting does (sessions and the demo emulator stop)."""
    await window.shutdown()
    window.dispose()


async def start_listener(window: MainWindow) -> None:
    """Click Start on the listener pane and wait until it is online."""
    window.listener_pane.start_button.click()
    await until(lambda: window.listener_pane.state is ConnectionState.ONLINE, "listener online")


def received(model: Any, data: str | bytes) -> bool:
    """Whether a message log ``model`` shows ``data`` as received."""
    return any(
        isinstance(model.row_event(r), MessageReceived) and model.row_event(r).data == data
        for r in range(model.rowCount())
    )


async def send_and_await_echo(window: MainWindow, text: str) -> None:
    """Send ``text`` from the sender pane's composer and wait for its echo in the sender's log."""
    window.sender_pane.composer.set_text(text)
    window.sender_pane.composer.send_button.click()
    await until(lambda: received(window.sender_pane.log_model, text), "the echo")
