"""The diagnosis report: versions, every step, redacted."""

from __future__ import annotations

import datetime as dt

from relaydesk.diagnose.model import DiagnoseFinished, DiagnoseStatus, DiagnoseStep
from relaydesk.diagnose.report import environment, format_report, step_record
from relaydesk.relay.events import ErrorInfo

SAS = (
    "SharedAccessSignature sr=http%3A%2F%2Fns%2Fdemo"
    "&sig=c2VjcmV0c2lnbmF0dXJldmFsdWUxMjM0NTY3OA%3D%3D&se=1&skn=root"
)


def _step(key: str, status: DiagnoseStatus, **fields: object) -> DiagnoseStep:
    return DiagnoseStep(at=0.0, side="check", step=key, title=key.title(), status=status, **fields)


def test_report_has_versions_steps_and_no_secret() -> None:
    steps = [
        _step("dns", DiagnoseStatus.RUNNING),
        _step("dns", DiagnoseStatus.OK, duration=0.01, summary="ns → 1.2.3.4"),
        _step(
            "relay",
            DiagnoseStatus.FAILED,
            duration=0.2,
            summary=f"weird answer quoting {SAS}",
            seen={"header": SAS},
            error=ErrorInfo("StepFailed", f"cause {SAS}", "do this", tracking_id="abc_G0"),
        ),
    ]
    finished = DiagnoseFinished(
        at=0.0, side="check", passed=False, duration=1.5, failed_steps=("relay",)
    )
    text = format_report(
        "sb://ns/demo",
        "explicit http://p:3128 (user u)",
        steps,
        finished,
        now=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    )
    assert text.startswith("RelayDesk diagnosis of sb://ns/demo at 2026-01-02T03:04:05Z\n")
    for name, value in environment().items():
        assert f"  {name}: {value}" in text
    assert "✔ Dns: ok (10 ms)" in text and "✘ Relay: failed (200 ms)" in text
    assert "remedy: do this" in text and "TrackingId: abc_G0" in text
    assert "result: failed at relay" in text
    assert "c2VjcmV0c2lnbmF0dXJl" not in text  # the signature is redacted everywhere
    record = step_record(steps[2])
    assert "c2VjcmV0c2lnbmF0dXJl" not in repr(record)
    assert record["status"] == "failed" and record["remedy"] == "do this"
