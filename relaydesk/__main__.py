"""The process's entry point: ``python -m relaydesk``, the ``relaydesk`` command, the bundle.

Everything is :func:`relaydesk.cli.main`; this module adds what only a
process about to exit may do.
"""

from __future__ import annotations

import gc
import sys

from relaydesk.cli import main as cli_main
from relaydesk.cli import wants_subcommand
from relaydesk.deferred_imports import WEBSOCKETS_UNUSED, defer

__all__ = ["main"]


def main() -> int:
    """Run the command line in ``sys.argv``; return the exit status.

    A subcommand defers the standard-library modules websockets imports
    but rarely uses (:mod:`relaydesk.deferred_imports`). After it, the
    objects left are frozen (:func:`gc.freeze`):
    the interpreter's collections at exit would otherwise walk every
    object the imports created (modules, classes, functions: tens of
    thousands) only to find that nothing needs collecting, about 15 ms of
    a one-message ``relaydesk send``. Objects still alive are freed as the
    modules are torn down, as before; frozen cycles are left to the
    operating system with the rest of the process. The desktop app is left
    alone: Qt objects are destroyed through the usual shutdown.
    """
    arguments = sys.argv[1:]
    if not wants_subcommand(arguments):
        return cli_main(arguments)
    defer(*WEBSOCKETS_UNUSED)
    status = cli_main(arguments)
    gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(main())
