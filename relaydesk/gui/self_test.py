"""``relaydesk --demo --self-test [--screenshot PATH]``: drive the real widgets once.

Steps: start demo mode (the Demo button), click Start and wait for Online,
click Connect and wait for Connected, type a message and click Send, see it
in the listener's log and its echo in the sender's log, send an HTTP request
from the HTTP tab and see the response; print where the secrets are kept;
optionally save a PNG of the window.
Every step is bounded; the first failing step is printed and the exit code
is non-zero. Works with ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

from relaydesk.relay.events import ConnectionState, MessageReceived

__all__ = ["SELF_TEST_MESSAGE", "STEP_TIMEOUT", "SelfTestFailed", "run_self_test", "until"]

STEP_TIMEOUT = 30.0
SELF_TEST_MESSAGE = "hello from the RelayDesk self-test"
_POLL = 0.05


class SelfTestFailed(Exception):
    """A self-test step did not reach its goal in time."""


async def until(predicate: Callable[[], bool], what: str, within: float | None = None) -> None:
    """Poll ``predicate`` (every 50 ms) until true, or raise SelfTestFailed.

    ``within`` defaults to :data:`STEP_TIMEOUT` (read at call time).
    """
    within = STEP_TIMEOUT if within is None else within
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise SelfTestFailed(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(_POLL)


def _logged(model: Any, side_data: str, *, received: bool = True) -> bool:
    for row in range(model.rowCount()):
        event = model.row_event(row)
        if (
            isinstance(event, MessageReceived) == received
            and getattr(event, "data", None) == side_data
        ):
            return True
    return False


def _pane_error(pane: Any) -> str:
    badge = pane.state_badge
    parts = (badge.cause_label.text(), badge.remedy_label.text())
    return " ".join(part for part in parts if part)


async def _step_demo(window: Any) -> None:
    window.profile_bar.buttons["demo"].click()
    await until(lambda: window.demo_info is not None, "demo mode (emulator + Local demo profile)")
    await until(lambda: window.listener_bridge.configured, "the demo profile to be active")


async def _step_listener(window: Any) -> None:
    pane = window.listener_pane
    pane.start_button.click()
    try:
        await until(lambda: pane.state is ConnectionState.ONLINE, "the listener to be Online")
    except SelfTestFailed as exc:
        raise SelfTestFailed(f"{exc}; listener says: {_pane_error(pane)}") from None


async def _step_sender(window: Any) -> None:
    pane = window.sender_pane
    pane.connect_button.click()
    try:
        await until(lambda: pane.state is ConnectionState.ONLINE, "the sender to be connected")
    except SelfTestFailed as exc:
        raise SelfTestFailed(f"{exc}; sender says: {_pane_error(pane)}") from None


async def _step_message(window: Any) -> None:
    sender = window.sender_pane
    sender.tabs.setCurrentIndex(0)
    sender.composer.set_text(SELF_TEST_MESSAGE)
    sender.composer.send_button.click()
    listener_log = window.listener_pane.log_model
    await until(lambda: _logged(listener_log, SELF_TEST_MESSAGE), "the message in the listener log")
    await until(lambda: _logged(sender.log_model, SELF_TEST_MESSAGE), "the echo in the sender log")


async def _step_http(window: Any) -> None:
    sender = window.sender_pane
    tab = sender.http_tab
    sender.tabs.setCurrentWidget(tab)
    tab.method_combo.setCurrentText("POST")
    tab.suffix_edit.setText("self-test")
    tab.body_edit.setPlainText("ping over HTTP")
    tab.send_button.click()
    await until(lambda: tab.status_label.text().startswith(("2", "Failed")), "the HTTP response")
    if not tab.status_label.text().startswith("200"):
        detail = tab.response_view.toPlainText()
        raise SelfTestFailed(f"HTTP request failed: {tab.status_label.text()} {detail}")
    if "ping over HTTP" not in tab.response_view.toPlainText():
        raise SelfTestFailed("the HTTP response does not show the echoed body")


STEPS = (
    ("demo mode", _step_demo),
    ("listener online", _step_listener),
    ("sender connected", _step_sender),
    ("message round trip", _step_message),
    ("HTTP round trip", _step_http),
)


async def run_self_test(window: Any, *, screenshot: str | None, reporter: Any) -> int:
    """Run every step against ``window``; return the exit code (0 = all passed)."""
    for name, step in STEPS:
        try:
            await step(window)
        except SelfTestFailed as exc:
            print(f"self-test FAILED at {name}: {exc}", file=sys.stderr)
            _save(window, screenshot)
            return 1
        print(f"self-test: {name} ✓", flush=True)
    # A packager checks that the bundled keyring finds the OS keyring.
    print(f"self-test: keyring backend: {await _store_name(window)}", flush=True)
    window.sender_pane.tabs.setCurrentIndex(0)  # the screenshot shows the message view
    await asyncio.sleep(0.2)  # let the last rows and the timeline paint
    _save(window, screenshot)
    if reporter.reports:
        print(f"self-test FAILED: unexpected errors: {reporter.reports}", file=sys.stderr)
        return 2
    print("self-test passed", flush=True)
    return 0


async def _store_name(window: Any) -> str:
    """The OS keyring's backend name (e.g. "Secret Service"), never a stored value.

    The demo keeps its secrets in memory, so the keyring is opened here if
    nothing has opened it yet.
    """
    store = await window.workspace.secrets.open_async()
    return str(store.backend_name) if store.persistent else "none (kept in memory)"


def _save(window: Any, path: str | None) -> None:
    if path and not window.grab().save(path):
        print(f"self-test: could not save the screenshot to {path}", file=sys.stderr)
