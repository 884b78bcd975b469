"""relaydesk.cli.common's run wrapper: SIGINT/SIGTERM stop the command's body.

The handlers are the process's own (``signal.signal``), installed for the
run and put back after it; the bodies here signal their own process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

import pytest

from relaydesk.cli.common import run_command
from relaydesk.cli.output import Output

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _args() -> argparse.Namespace:
    return argparse.Namespace(json=False, debug=False, command="test")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_signal_sets_stop_and_the_handlers_are_put_back(
    sig: signal.Signals, loop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    monkeypatch.setenv("RELAYDESK_EVENT_LOOP", loop)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    async def body(output: Output, stop: asyncio.Event) -> int:
        asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), sig)
        await asyncio.wait_for(stop.wait(), 30)
        return 7

    assert run_command(_args(), body) == 7
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_sigint_once_the_body_has_returned_interrupts_as_before() -> None:
    """Outside the body (here: the loop's next round) SIGINT reaches the handler
    that was there before, Python's own: a KeyboardInterrupt, which the wrapper
    treats as a user's stop (exit 0)."""

    async def body(output: Output, stop: asyncio.Event) -> int:
        asyncio.get_running_loop().call_soon(signal.raise_signal, signal.SIGINT)
        return 3

    assert run_command(_args(), body) == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
