"""relaydesk/__main__.py: the process's entry point.

A subcommand starts with automatic collections off and its start-up objects
frozen once parsed, runs with collections on, and leaves its objects frozen
for the exit, so the interpreter's collections have nothing to walk (checked
through the collector's state, not by timing); the desktop app is left as it
was.
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


def test_a_subcommand_runs_with_collections_on_and_its_start_up_frozen() -> None:
    """Collections are off only while the command line is parsed."""
    code = (
        "import gc, sys\n"
        "import relaydesk.cli.token_command as command\n"
        "real_run = command.run\n"
        "def run(args):\n"
        "    print('run', gc.isenabled(), gc.get_freeze_count() > 1000)\n"
        "    return real_run(args)\n"
        "command.run = run\n"
        "sys.argv = ['relaydesk', 'token', 'sb://ns.example/hc']\n"
        "from relaydesk.__main__ import main\n"
        "status = main()\n"
        "print('after', status, gc.isenabled())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAYDESK_")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.stdout.split("\n")[:-1] == ["run True True", "after 2 True"], out.stderr


def test_help_from_the_entry_point_defers_nothing() -> None:
    """Deferring python-socks' modules imports its package: help does not pay for it."""
    code = (
        "import contextlib, io, sys\n"
        "sys.argv = ['relaydesk', 'send', '--help']\n"
        "from relaydesk.__main__ import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main()\n"
        "names = ('python_socks', 'relaydesk.deferred_imports')\n"
        "print(sorted(m for m in names if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "['relaydesk.deferred_imports']"
