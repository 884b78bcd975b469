"""``relaydesk diagnose`` and the GUI's Diagnose panel: walk the path to the relay.

DNS, proxy, TCP, TLS, the relay's own 401, the Entra authority, the token's
claims and clock skew, listener presence, rights, and the gateway hosts of a
rendezvous — each step with status, duration, what was seen and, on failure,
a cause and a remedy. :func:`run_diagnose` yields the events;
:func:`~relaydesk.diagnose.report.format_report` writes the redacted report.

Names load on first use (:mod:`relaydesk.lazy_exports`): the step list
(:mod:`.model`) is light, the runner pulls in the network stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relaydesk.lazy_exports import lazy_getattr

_EXPORTS: dict[str, str] = {
    "DIAGNOSE_STEPS": "relaydesk.diagnose.model",
    "DiagnoseConfig": "relaydesk.diagnose.model",
    "DiagnoseFinished": "relaydesk.diagnose.model",
    "DiagnoseStatus": "relaydesk.diagnose.model",
    "DiagnoseStep": "relaydesk.diagnose.model",
    "run_diagnose": "relaydesk.diagnose.runner",
}

if TYPE_CHECKING:
    from relaydesk.diagnose.model import (
        DIAGNOSE_STEPS,
        DiagnoseConfig,
        DiagnoseFinished,
        DiagnoseStatus,
        DiagnoseStep,
    )
    from relaydesk.diagnose.runner import run_diagnose

__getattr__ = lazy_getattr(globals(), _EXPORTS)

__all__ = [
    "DIAGNOSE_STEPS",
    "DiagnoseConfig",
    "DiagnoseFinished",
    "DiagnoseStatus",
    "DiagnoseStep",
    "run_diagnose",
]
