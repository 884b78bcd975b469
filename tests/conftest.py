"""Test-wide setup.

Qt must be told to render offscreen before anything imports it, or pytest-qt's
``qapp`` aborts the run on a machine without a display (platform notes).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A warning fails the test (pyproject's filterwarnings) in the child processes
# too: the CLI, the emulator and the app the tests start inherit this.
os.environ["PYTHONWARNINGS"] = "error"

# The emulator's log lines, awaitable, for every test package that runs one, and
# the real proxies (tinyproxy, Dante) for every test package that needs them.
from tests.emulator_log import emulator_log  # noqa: F401
from tests.socks_proxy import make_dante  # noqa: F401
from tests.tinyproxy import make_tinyproxy  # noqa: F401


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Workers for ``-n auto``: twice the cores, at most 6.

    Most of a test's time is spent waiting for sockets, child processes and
    short token lifetimes, not computing (a serial run uses the CPU for under
    half its wall time), so two workers per core overlap those waits; more
    would only add start-up cost and contention for the timing-sensitive
    tests. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` overrides it, as in pytest-xdist.
    """
    configured = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if configured:
        return int(configured)
    return min(6, 2 * (os.cpu_count() or 1))
