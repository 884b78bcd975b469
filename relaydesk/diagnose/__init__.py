"""``relaydesk diagnose`` and the GUI's Diagnose panel: walk the path to the relay.

DNS, proxy, TCP, TLS, the relay's own 401, the Entra authority, the token's
claims and clock skew, listener presence, rights, and the gateway hosts of a
rendezvous — each step with status, duration, what was seen and, on failure,
a cause and a remedy. :func:`run_diagnose` yields the events;
:func:`~relaydesk.diagnose.report.format_report` writes the redacted report.
"""

from __future__ import annotations

from relaydesk.diagnose.model import (
    DIAGNOSE_STEPS,
    DiagnoseConfig,
    DiagnoseFinished,
    DiagnoseStatus,
    DiagnoseStep,
)
from relaydesk.diagnose.runner import run_diagnose

__all__ = [
    "DIAGNOSE_STEPS",
    "DiagnoseConfig",
    "DiagnoseFinished",
    "DiagnoseStatus",
    "DiagnoseStep",
    "run_diagnose",
]
