"""Light modules stay light: the desktop app's start-up depends on it.

Every widget imports the event classes and token types; importing them must
not pull in the network and auth stacks (aiohttp, websockets, msal, keyring).
The package ``__init__`` modules import nothing, so importing a package costs
nothing either.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("aiohttp", "websockets", "msal", "keyring")


@pytest.mark.parametrize(
    "module",
    [
        "relaydesk.relay.events",
        "relaydesk.relay",
        "relaydesk.auth",
        "relaydesk.profiles",
        "relaydesk.emulator_process",
    ],
)
def test_importing_does_not_load_the_network_stack(module: str) -> None:
    code = (
        f"import sys, {module}\nprint(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == ""
