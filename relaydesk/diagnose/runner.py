"""Run the diagnosis step by step, as an async generator of events.

Shared by ``relaydesk diagnose`` and the GUI. Steps run in
:data:`~relaydesk.diagnose.model.DIAGNOSE_STEPS` order, each bounded by
``step_timeout``; the first failure stops the walk (the later steps are
reported ``skipped``), a warning does not. Failures are described with the
check's :func:`relaydesk.check.step_error` (the relay client's cause/remedy
table plus Entra's trace id), so the two features explain errors alike.

Events use the check's ``side`` ("check"): the timeline shows both alike.
Qt-free; close the generator when leaving early (``contextlib.aclosing``)
so the diagnosis' own listener is stopped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from relaydesk.check import step_error
from relaydesk.diagnose.model import (
    DIAGNOSE_STEPS,
    DiagnoseConfig,
    DiagnoseFinished,
    DiagnoseStatus,
    DiagnoseStep,
)
from relaydesk.diagnose.network import NetworkPath
from relaydesk.diagnose.outcome import StepFailed, StepOutcome
from relaydesk.diagnose.service_steps import ServiceProbe

__all__ = ["run_diagnose"]

_TITLES = dict(DIAGNOSE_STEPS)


class _Walk:
    """The events of one diagnosis (keeps the generator short)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.started = time.monotonic()
        self.failed: list[str] = []
        self.warnings: list[str] = []

    def event(self, key: str, status: DiagnoseStatus, **fields: Any) -> DiagnoseStep:
        return DiagnoseStep(
            at=self._clock(), side="check", step=key, title=_TITLES[key], status=status, **fields
        )

    async def step(
        self, key: str, body: Callable[[], Awaitable[StepOutcome]], limit: float
    ) -> DiagnoseStep:
        start = time.monotonic()
        try:
            async with asyncio.timeout(limit):
                outcome = await body()
        except TimeoutError:
            failure = StepFailed(
                f"the step did not finish within {limit:g} s",
                remedy="Check the network path (firewall, proxy); packets may be dropped.",
            )
            return self._failed(key, start, failure)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a failed step
            return self._failed(key, start, exc)
        if outcome.status is DiagnoseStatus.WARNING:
            self.warnings.append(key)
        duration = None if outcome.status is DiagnoseStatus.SKIPPED else time.monotonic() - start
        return self.event(
            key,
            outcome.status,
            duration=duration,
            summary=outcome.summary,
            seen=outcome.seen,
            error=outcome.warning,
        )

    def _failed(self, key: str, start: float, exc: BaseException) -> DiagnoseStep:
        self.failed.append(key)
        info = step_error(exc)
        seen = exc.seen if isinstance(exc, StepFailed) else {}
        return self.event(
            key,
            DiagnoseStatus.FAILED,
            duration=time.monotonic() - start,
            summary=info.message,
            seen=seen,
            error=info,
        )

    def finished(self) -> DiagnoseFinished:
        return DiagnoseFinished(
            at=self._clock(),
            side="check",
            passed=not self.failed,
            duration=time.monotonic() - self.started,
            failed_steps=tuple(self.failed),
            warnings=tuple(self.warnings),
        )


async def run_diagnose(
    config: DiagnoseConfig, *, clock: Callable[[], float] = time.time
) -> AsyncGenerator[DiagnoseStep | DiagnoseFinished, None]:
    """Walk the path to the relay, yielding each step's progress.

    Never raises for a failing step: failures are events.

    Args:
        config: the address, identities, proxy and options.
        clock: wall clock (the token step compares it with the token's times).

    Yields:
        :class:`DiagnoseStep` per status change, then one :class:`DiagnoseFinished`.
    """
    walk = _Walk(clock)
    path = NetworkPath(config)
    service = ServiceProbe(config, clock)
    bodies: dict[str, Callable[[], Awaitable[StepOutcome]]] = {
        "dns": path.dns,
        "proxy": path.proxy,
        "tcp": path.tcp,
        "tls": path.tls,
        "relay": service.relay,
        "authority": service.authority,
        "token": service.token,
        "listeners": service.listeners,
        "authorized": service.authorized,
        "gateway": service.gateway,
    }
    try:
        for key, _title in DIAGNOSE_STEPS:
            if walk.failed:
                yield walk.event(key, DiagnoseStatus.SKIPPED, summary="an earlier step failed")
                continue
            yield walk.event(key, DiagnoseStatus.RUNNING)
            yield await walk.step(key, bodies[key], config.step_timeout)
            if key == "tls":
                path.close()  # the probe connection has served its purpose
    finally:
        path.close()
        await service.close()
    yield walk.finished()
