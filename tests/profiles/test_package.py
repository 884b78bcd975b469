"""relaydesk.profiles (the package): it imports nothing; the model needs no store."""

from __future__ import annotations

import json
import subprocess
import sys


def _loaded_after(statement: str) -> list[str]:
    code = (
        f"import json, sys\n{statement}\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.startswith(('relaydesk.profiles', 'platformdirs')))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_the_package_imports_none_of_its_modules() -> None:
    assert _loaded_after("import relaydesk.profiles") == ["relaydesk.profiles"]


def test_the_model_loads_neither_the_store_nor_platformdirs() -> None:
    """An identity (what a SAS ``relaydesk send`` builds) costs no config-dir lookup."""
    loaded = _loaded_after("import relaydesk.profiles.model")
    assert loaded == ["relaydesk.profiles", "relaydesk.profiles.model"]
