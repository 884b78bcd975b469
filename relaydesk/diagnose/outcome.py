"""What one diagnosis step returns or raises."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from relaydesk.check import CheckStepFailed
from relaydesk.diagnose.model import DiagnoseStatus
from relaydesk.relay.events import ErrorInfo

__all__ = ["StepFailed", "StepOutcome"]


@dataclass(frozen=True)
class StepOutcome:
    """A step that did not fail: ok, warning (with cause and remedy) or skipped."""

    summary: str
    seen: Mapping[str, Any] = field(default_factory=dict)
    status: DiagnoseStatus = DiagnoseStatus.OK
    warning: ErrorInfo | None = None


class StepFailed(CheckStepFailed):
    """A step found something wrong that no library raised (a wrong answer).

    The check's "wrong result" error (:class:`relaydesk.check.CheckStepFailed`),
    plus the facts seen on the way.
    """

    def __init__(self, message: str, *, remedy: str, seen: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.seen = dict(seen or {})
