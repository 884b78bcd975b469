"""``relaydesk check``: the one-shot connectivity check (see :mod:`relaydesk.check`).

Gets both tokens, starts a listener, connects a sender, exchanges a message
and an HTTP request, and reports each step with its duration; a failed step
shows its cause and remedy and the later steps are marked skipped. Exit 0
only when every step passed; otherwise the exit code of the failure's family
(3 auth, 4 relay refused, 5 unreachable, 6 a wrong result).
"""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING, Any

from relaydesk.cli.argument_types import seconds, text
from relaydesk.cli.common import add_common_arguments, resolve, run_command, token_providers
from relaydesk.cli.exit_codes import EXIT_OK, exit_code_for_kind
from relaydesk.cli.output import Output, error_fields, error_line, token_fields

if TYPE_CHECKING:
    from relaydesk.check import CheckFinished, CheckStepEvent

__all__ = ["add_arguments", "run", "step_record"]

_ICONS = {"running": "…", "passed": "✓", "failed": "✗", "skipped": "-"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``relaydesk check``."""
    add_common_arguments(parser)
    group = parser.add_argument_group("check")
    group.add_argument(
        "--message",
        default="relaydesk check",
        metavar="TEXT",
        type=text,
        help="text for the round trips (default 'relaydesk check')",
    )
    group.add_argument(
        "--timeout",
        type=seconds,
        default=30.0,
        metavar="S",
        help="seconds each step may take (default 30)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``relaydesk check``."""
    return run_command(args, lambda output, stop: _check(args, output))


async def _check(args: argparse.Namespace, output: Output) -> int:
    from relaydesk.check import CheckConfig, CheckFinished, run_check

    target = resolve(args, output, ("listener", "sender"))
    code = EXIT_OK
    failed_kind = ""
    async with token_providers(target) as providers:
        config = CheckConfig(
            address=target.address,
            listener_tokens=providers["listener"],
            sender_tokens=providers["sender"],
            ca_file=target.ca_file,
            proxy=target.proxy,
            message=args.message,
            step_timeout=args.timeout,
        )
        async with contextlib.aclosing(run_check(config)) as events:
            async for event in events:
                if isinstance(event, CheckFinished):
                    _finish(event, output)
                    code = EXIT_OK if event.passed else exit_code_for_kind(failed_kind)
                    continue
                _step(event, output)
                if event.error is not None:
                    failed_kind = event.error.kind
    return code


def step_record(event: CheckStepEvent) -> dict[str, Any]:
    """The ``step`` event of ``--json``."""
    record: dict[str, Any] = {
        "event": "step",
        "step": event.step,
        "title": event.title,
        "status": event.status.value,
    }
    if event.duration is not None:
        record["duration_ms"] = round(event.duration * 1000, 3)
    if event.detail:
        record["detail"] = event.detail
    if event.error is not None:
        record["error"] = error_fields(event.error)
    if event.tokens:
        record["tokens"] = [token_fields(t, now=event.at) for t in event.tokens]
    return record


def _step(event: CheckStepEvent, output: Output) -> None:
    record = step_record(event)
    if output.json_mode:
        output.emit(record)
        return
    if event.status.value == "running":
        return  # a person sees the result line; scripts get 'running' in --json
    line = f"{_ICONS[event.status.value]} {event.title}: {event.status.value}"
    if event.duration is not None:
        line += f" ({event.duration * 1000:.0f} ms)"
    if event.error is not None:
        line += f" — {error_line(error_fields(event.error))}"
    elif event.detail:
        line += f" — {event.detail}"
    output.emit(record, human=line)


def _finish(event: CheckFinished, output: Output) -> None:
    record: dict[str, Any] = {
        "event": "result",
        "passed": event.passed,
        "failed_step": event.failed_step,
        "duration_ms": round(event.duration * 1000, 3),
    }
    human = (
        f"check passed in {event.duration:.1f} s"
        if event.passed
        else f"check failed at step '{event.failed_step}'"
    )
    output.emit(record, human=human)
