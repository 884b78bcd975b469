"""``relaydesk diagnose``: walk the path to the relay step by step.

Name resolution, proxy, TCP, TLS, the relay's own 401, the Entra authority,
the token's claims and clock skew, listener presence, rights and (with
``--send``) a rendezvous through the gateway hosts; each step with status,
duration, what was seen and, on failure, a cause and a remedy. Exit 0 only
if no step failed. ``--report FILE`` writes the whole diagnosis, redacted,
with RelayDesk, Python, Qt and OS versions, for a support ticket.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relaydesk.cli.common import add_common_arguments, resolve, run_command, token_providers
from relaydesk.cli.exit_codes import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_UNEXPECTED,
    exit_code_for_kind,
)
from relaydesk.cli.output import Output

if TYPE_CHECKING:
    from relaydesk.diagnose.model import DiagnoseFinished, DiagnoseStep

__all__ = ["add_arguments", "run"]

_ICONS = {"ok": "✔", "warning": "!", "failed": "✘", "skipped": "–"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``relaydesk diagnose``."""
    add_common_arguments(parser)
    group = parser.add_argument_group("diagnosis")
    group.add_argument(
        "--send",
        action="store_true",
        help="also connect a sender (to this diagnosis' own listener) to test a rendezvous "
        "through the relay's gateway hosts",
    )
    group.add_argument(
        "--timeout", type=float, default=20.0, metavar="S", help="seconds per step (default 20)"
    )
    group.add_argument(
        "--report", metavar="FILE", help="write the redacted diagnosis to FILE (for a ticket)"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``relaydesk diagnose``."""
    return run_command(args, lambda output, stop: _diagnose(args, output))


async def _diagnose(args: argparse.Namespace, output: Output) -> int:
    from relaydesk.diagnose.model import DiagnoseConfig, DiagnoseFinished
    from relaydesk.diagnose.runner import run_diagnose
    from relaydesk.errors import InvalidInput

    if not args.timeout > 0:
        raise InvalidInput("--timeout", "must be a positive number of seconds")
    roles: tuple[Any, ...] = ("listener", "sender") if args.send else ("listener",)
    target = resolve(args, output, roles)
    steps: list[DiagnoseStep] = []
    finished: DiagnoseFinished | None = None
    async with token_providers(target) as providers:
        config = DiagnoseConfig(
            address=target.address,
            listener_tokens=providers["listener"],
            sender_tokens=providers.get("sender"),
            ca_file=target.ca_file,
            proxy=target.proxy,
            try_sender=bool(args.send),
            step_timeout=args.timeout,
        )
        async with contextlib.aclosing(run_diagnose(config)) as events:
            async for event in events:
                if isinstance(event, DiagnoseFinished):
                    finished = event
                else:
                    steps.append(event)
                    _show_step(event, output)
    assert finished is not None
    _show_summary(finished, output)
    if args.report:
        _write_report(args.report, target, steps, finished, output)
    return _exit_code(steps, finished)


def _show_step(event: DiagnoseStep, output: Output) -> None:
    from relaydesk.diagnose.report import step_record

    record = step_record(event)
    if output.json_mode:
        if record["status"] != "running":
            output.emit(record)
        return
    if record["status"] == "running":
        return
    took = f" ({record['duration_ms']:.0f} ms)" if "duration_ms" in record else ""
    lines = [f"{_ICONS[record['status']]} {event.title}: {record['status']}{took}"]
    if "summary" in record:
        lines.append(f"    {record['summary']}")
    if "remedy" in record:
        lines.append(f"    remedy: {record['remedy']}")
    output.emit(record, human="\n".join(lines))


def _show_summary(finished: DiagnoseFinished, output: Output) -> None:
    record = {
        "event": "summary",
        "passed": finished.passed,
        "failed_steps": list(finished.failed_steps),
        "warnings": list(finished.warnings),
        "duration_ms": round(finished.duration * 1000, 1),
    }
    human = (
        f"diagnosis passed in {finished.duration:.1f} s"
        if finished.passed
        else f"diagnosis failed at: {', '.join(finished.failed_steps)}"
    )
    if finished.warnings:
        human += f" (warnings: {', '.join(finished.warnings)})"
    output.emit(record, human=human)


def _write_report(
    path: str,
    target: Any,
    steps: list[DiagnoseStep],
    finished: DiagnoseFinished,
    output: Output,
) -> None:
    from relaydesk.atomic_files import write_atomically
    from relaydesk.diagnose.report import format_report
    from relaydesk.errors import InvalidInput

    proxy = target.proxy.describe() if target.proxy is not None else "system"
    text = format_report(str(target.address), proxy, steps, finished)
    try:
        write_atomically(Path(path), text.encode("utf-8"))
    except OSError as exc:
        raise InvalidInput("--report", f"cannot write {path}: {exc.strerror or exc}") from None
    output.warn(f"report written to {path}")


def _exit_code(steps: list[DiagnoseStep], finished: DiagnoseFinished) -> int:
    if finished.passed:
        return EXIT_OK
    failed = next(s for s in steps if s.step == finished.failed_steps[0] and s.error is not None)
    assert failed.error is not None
    code = exit_code_for_kind(failed.error.kind)
    return EXIT_INCOMPLETE if code == EXIT_UNEXPECTED else code
