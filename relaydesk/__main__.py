"""The process's entry point: ``python -m relaydesk``, the ``relaydesk`` command, the bundle.

Everything is :func:`relaydesk.cli.main`; this module adds what only a
process about to exit may do.
"""

from __future__ import annotations

import gc
import sys

from relaydesk.cli import asks_for_help, wants_subcommand
from relaydesk.cli import main as cli_main
from relaydesk.deferred_imports import STANDARD_UNUSED, WEBSOCKETS_UNUSED, defer

__all__ = ["main"]


def main() -> int:
    """Run the command line in ``sys.argv``; return the exit status.

    A subcommand is a short process, and three things make its start and
    end cheaper:

    * the modules websockets and Python's own libraries import but a
      command rarely uses are deferred (:mod:`relaydesk.deferred_imports`),
      unless help is asked for;
    * automatic collections are off until its arguments are parsed (its
      module and most of what it needs imported): imports create modules,
      classes and functions that live as long as the process, so the ~25
      young-generation collections they would trigger find nothing to free.
      Those objects are then frozen (:func:`gc.freeze`), so no later full
      collection walks them either, and collections resume for the command
      itself (a listener may run for days);
    * after it, the objects left are frozen too: the interpreter's
      collections at exit would otherwise walk every object only to find
      that nothing needs collecting (~15 ms of a one-message ``relaydesk
      send``). Objects still alive are freed as the modules are torn down,
      as before; frozen cycles are left to the operating system with the
      rest of the process.

    The desktop app is left alone (it manages its collections itself, and
    Qt objects are destroyed through the usual shutdown).
    """
    arguments = sys.argv[1:]
    if not wants_subcommand(arguments):
        return cli_main(arguments)
    if not asks_for_help(arguments):  # finding python-socks' modules imports its package
        defer(*WEBSOCKETS_UNUSED, *STANDARD_UNUSED)
    gc.disable()
    try:
        return cli_main(arguments, parsed=_start_collecting)
    finally:
        gc.enable()  # a usage error or --help ends before the arguments are parsed
        gc.freeze()


def _start_collecting() -> None:
    """End of a subcommand's start-up: freeze what it imported, collect from now on."""
    gc.freeze()
    gc.enable()


if __name__ == "__main__":
    sys.exit(main())
