"""The core must import without Qt: only relaydesk.gui may pull in PySide6/qasync."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import relaydesk


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(relaydesk.__path__, prefix="relaydesk."):
        if info.name.startswith("relaydesk.gui"):
            continue
        names.append(info.name)
    return names


def test_core_modules_do_not_import_qt() -> None:
    modules = _core_modules()
    assert "relaydesk.protocol" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"Qt imported by the core: {result.stdout}"
