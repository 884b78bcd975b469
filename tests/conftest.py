"""Test-wide setup.

Qt must be told to render offscreen before anything imports it, or pytest-qt's
``qapp`` aborts the run on a machine without a display (platform notes).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The emulator's log lines, awaitable, for every test package that runs one, and
# the real proxies (tinyproxy, Dante) for every test package that needs them.
from tests.emulator_log import emulator_log  # noqa: F401
from tests.socks_proxy import make_dante  # noqa: F401
from tests.tinyproxy import make_tinyproxy  # noqa: F401
