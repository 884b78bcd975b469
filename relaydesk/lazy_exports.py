"""Load a package's public names on first use (PEP 562).

``relaydesk.relay`` and ``relaydesk.auth`` re-export names from modules that
import aiohttp, websockets, msal and keyring. Importing one light module of
such a package (the event classes, the token types) must not pay for those:
the desktop app's start-up depends on it (tests/test_lazy_imports.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(namespace: dict[str, Any], exports: Mapping[str, str]) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` that imports ``exports[name]`` on demand.

    Args:
        namespace: the package's ``globals()``; a loaded name is cached there,
            so each name is imported once.
        exports: public name → the module that defines it.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
