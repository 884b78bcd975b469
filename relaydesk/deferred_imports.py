"""Modules imported at start-up whose code runs when first used.

websockets imports modules at start-up that a relay command rarely uses:
:mod:`importlib.metadata` (``websockets.version``, which needs it only in a
development checkout), :mod:`urllib.request` (``websockets.proxy``, which
reads the environment only for ``connect(proxy=True)``; RelayDesk always
passes the route :mod:`relaydesk.proxy` chose) and, through python-socks
(imported by its asyncio client whenever installed), the SOCKS4, SOCKS5 and
HTTP-proxy protocol modules (enums and dataclasses), needed only when a
connection goes through such a proxy. With :mod:`http.client` and
:mod:`email`, which the first two pull in, they cost a one-message
``relaydesk send`` about 15 ms of its start-up. No import of websockets
avoids them (the package's ``__init__`` imports ``version``; its asyncio
client imports ``proxy`` and python-socks), and neither library is changed
here. python-socks' connectors import the protocol modules as
``from .._protocols import socks5`` and use their names only while
connecting, which is what lets them wait; were that to change, the first
use would simply come at import time.

:func:`defer` puts a module object in :data:`sys.modules` whose code has not
run yet. An ``import`` statement finds it and reads only its spec; the first
use of any other name (``urllib.request.getproxies``, ``from
importlib.metadata import version``) runs the module's code, once, and from
then on it is the ordinary module. Unlike :class:`importlib.util.LazyLoader`,
which Python 3.11's ``import`` statement triggers by reading ``__spec__`` and
which lets a second thread see a half-run module, the spec and the other
import attributes are read without running the code, and a thread that uses
the module while another runs its code waits for it (a lock per module,
re-entrant so the module's own imports can reach it; two threads running
two deferred modules at once do not wait for each other, so one module's
code may wait on the other thread).

Python's own libraries do the same: asyncio imports :mod:`inspect` (with
:mod:`ast` and :mod:`dis`, ~4 ms) for coroutine checks and the reprs of
tasks, which a relay command's own path does not need (its signal handlers
are installed without ``loop.add_signal_handler``, which asks inspect;
:mod:`relaydesk.cli.common`); :mod:`traceback` imports :mod:`linecache`
(with :mod:`tokenize`) and :mod:`textwrap` for printing a traceback;
dataclasses imports :mod:`copy` for ``asdict``; the idna codec imports
:mod:`stringprep` for host names that are not ASCII; :mod:`shutil`
imports :mod:`bz2` and :mod:`lzma` (and their C libraries) to list its
archive formats. :data:`STANDARD_UNUSED` names them; each runs, as usual,
when something uses it (a traceback printed, a listener's task repr).

Only the process entry point (:mod:`relaydesk.__main__`) defers, before
anything is imported that imports these modules.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types

__all__ = ["STANDARD_UNUSED", "WEBSOCKETS_UNUSED", "defer"]

#: What websockets imports and a relay command rarely uses (see the module docstring).
WEBSOCKETS_UNUSED = (
    "importlib.metadata",
    "urllib.request",
    "python_socks._protocols.socks5",
    "python_socks._protocols.socks4",
    "python_socks._protocols.http",
)

#: What Python's own libraries import at start-up and a relay command rarely
#: uses (see the module docstring). ``bz2`` and ``lzma`` are deferred only
#: where their C modules exist: where they do not, ``shutil`` must see the
#: import fail, as it would without deferring.
STANDARD_UNUSED = (
    "inspect",
    "linecache",
    "textwrap",
    "copy",
    "stringprep",
    "bz2",
    "lzma",
)

#: A deferred module that must not be deferred unless this module can be found.
_NEEDS = {"bz2": "_bz2", "lzma": "_lzma"}

#: Attributes the import system sets before the code runs (``_init_module_attrs``),
#: and that an ``import`` statement reads: reading them runs nothing.
_IMPORT_ATTRIBUTES = frozenset(
    {"__name__", "__loader__", "__package__", "__spec__", "__path__", "__file__", "__cached__"}
)

#: One lock per deferred module, held while its code runs.
_locks: dict[str, threading.RLock] = {}
#: Names of the deferred modules whose code is running (their own imports may reach them).
_running: set[str] = set()


class _DeferredModule(types.ModuleType):
    """A module whose code runs on the first use of a name other than the import attributes."""

    def __getattribute__(self, name: str) -> object:
        if name not in _IMPORT_ATTRIBUTES:
            _run(self)
        return types.ModuleType.__getattribute__(self, name)

    def __setattr__(self, name: str, value: object) -> None:
        _run(self)
        types.ModuleType.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        _run(self)
        types.ModuleType.__delattr__(self, name)


def _run(module: types.ModuleType) -> None:
    """Run ``module``'s code once; other threads wait until it has run."""
    name = types.ModuleType.__getattribute__(module, "__name__")
    with _locks[name]:
        if type(module) is not _DeferredModule or name in _running:
            return  # already run, or running in this thread (its own imports)
        _running.add(name)
        try:
            spec = types.ModuleType.__getattribute__(module, "__spec__")
            spec.loader.exec_module(module)
            types.ModuleType.__setattr__(module, "__class__", types.ModuleType)
        finally:
            _running.discard(name)


def defer(*names: str) -> None:
    """Register each module of ``names`` not imported yet so its code runs on first use.

    A module already imported, or one that cannot be found (an optional
    library not installed), is left alone (its ``import`` then behaves as
    usual). Finding a module imports its parent packages, and a parent
    that imports the module itself leaves it imported.
    """
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
            if name in _NEEDS and importlib.util.find_spec(_NEEDS[name]) is None:
                continue
        except ImportError:  # a parent package is missing
            continue
        if name in sys.modules:  # imported by its parent package, found just now
            continue
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            continue
        module = importlib.util.module_from_spec(spec)
        _locks[name] = threading.RLock()
        types.ModuleType.__setattr__(module, "__class__", _DeferredModule)
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
