"""relaydesk/__main__.py: the process's entry point.

After a subcommand the objects left are frozen, so the interpreter's
collections at exit have nothing to walk (checked through the freeze count,
not by timing); the desktop app's exit is left as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _frozen_after(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, int]:
    """Run the entry point with ``argv`` in a fresh interpreter: (status, frozen objects)."""
    code = (
        "import gc, json, sys\n"
        f"sys.argv = ['relaydesk', *{argv!r}]\n"
        "from relaydesk.__main__ import main\n"
        "status = main()\n"
        "print(json.dumps([status, gc.get_freeze_count()]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    status, frozen = json.loads(out.stdout.strip().splitlines()[-1])
    return status, frozen


def test_a_subcommand_leaves_its_objects_frozen_for_the_exit() -> None:
    status, frozen = _frozen_after(["send", "--count", "x"])
    assert status == 2  # a usage error ends a subcommand too
    assert frozen > 1000


def test_the_desktop_app_exit_is_left_alone() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    status, frozen = _frozen_after([], env)
    assert status != 0  # no display: the app says so and returns before Qt
    assert frozen == 0
