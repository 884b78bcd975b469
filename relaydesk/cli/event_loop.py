"""The event loop the Qt-free commands run on: uvloop where it is installed.

A listener echoing for many senders spends most of its CPU below RelayDesk:
in asyncio's pure-Python TLS transport (``sslproto``), the loop itself and
one ``send`` system call per WebSocket frame. uvloop implements the loop,
the transports and the TLS layer in C/Cython, and writes what a stream
buffered during one loop iteration with one system call, so the same
messages cost the listener less CPU (``benchmarks/many_senders.py``,
docs/performance.md). It is an optional dependency (``relaydesk[uvloop]``;
no Windows wheels): without it, or with ``RELAYDESK_EVENT_LOOP=asyncio``,
commands run on asyncio's own loop, which behaves the same. The GUI keeps
qasync's loop (Qt's), and imports nothing from here.

uvloop is imported only when a loop is made, so ``--help`` and argument
errors never pay for it, and ``auto`` leaves it out of a command that says
it will handle few messages (:data:`UVLOOP_MIN_MESSAGES`): importing it
costs ~3 ms, and it saves ~1.5 µs per echoed message of ``relaydesk send``
(30,000 pipelined echoes: ~40 ms less CPU), so a one-message send would
only pay.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from relaydesk.errors import InvalidField

__all__ = ["ENV_VAR", "LOOP_NAMES", "UVLOOP_MIN_MESSAGES", "loop_factory", "run"]

#: Set to ``asyncio`` to run on asyncio's own loop even where uvloop is installed.
ENV_VAR = "RELAYDESK_EVENT_LOOP"
#: The values :data:`ENV_VAR` accepts; empty or unset means ``auto``.
LOOP_NAMES = ("auto", "uvloop", "asyncio")
#: With ``auto``, fewer messages than this run on asyncio's loop: uvloop's
#: import would cost more than it saves (the module docstring has the figures).
UVLOOP_MIN_MESSAGES = 2000

_T = TypeVar("_T")


def loop_factory(
    name: str | None = None, *, messages: int | None = None
) -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes the commands' event loop.

    Args:
        name: ``auto`` (uvloop if importable, else asyncio), ``uvloop`` or
            ``asyncio``; ``None`` reads :data:`ENV_VAR`.
        messages: how many messages the command will handle, when it knows
            (``None``: unbounded, a listener); with ``auto``, fewer than
            :data:`UVLOOP_MIN_MESSAGES` means asyncio's loop.

    Raises:
        InvalidField: ``name`` is not one of :data:`LOOP_NAMES`, or is
            ``uvloop`` and uvloop is not installed (the reason says what to do).
    """
    if name is None:
        name = os.environ.get(ENV_VAR, "").strip().lower() or "auto"
    if name not in LOOP_NAMES:
        raise InvalidField(
            ENV_VAR, f"{name!r} is not an event loop RelayDesk knows: use {', '.join(LOOP_NAMES)}"
        )
    few = messages is not None and messages < UVLOOP_MIN_MESSAGES
    if name == "asyncio" or (name == "auto" and few):
        return asyncio.new_event_loop
    try:
        import uvloop
    except ImportError:
        if name == "uvloop":
            raise InvalidField(
                ENV_VAR,
                "uvloop is not installed: pip install 'relaydesk[uvloop]' (not on Windows),"
                " or unset the variable",
            ) from None
        return asyncio.new_event_loop
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(
    main: Coroutine[Any, Any, _T], *, loop: str | None = None, messages: int | None = None
) -> _T:
    """``asyncio.run(main)`` on the loop :func:`loop_factory` picks."""
    try:
        factory = loop_factory(loop, messages=messages)
    except InvalidField:
        main.close()  # never awaited: say so quietly, not with a RuntimeWarning
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
