"""Run ``relaydesk --demo --self-test --screenshot`` in a child process and check it passed.

Shared by the tests that run the real app end to end: from the venv on an X
server, and the frozen bundle (offscreen with a Secret Service, and on X).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["run_self_test"]

_PNG = b"\x89PNG\r\n\x1a\n"


def run_self_test(
    command: Sequence[str], env: Mapping[str, str], shot: Path, *, timeout: float
) -> str:
    """Run ``command --demo --self-test --screenshot shot``; return its output.

    Asserts exit code 0, "self-test passed", no traceback and a real PNG.
    """
    result = subprocess.run(
        [*command, "--demo", "--self-test", "--screenshot", str(shot)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "self-test passed" in result.stdout
    assert "Traceback" not in output
    data = shot.read_bytes()
    assert data.startswith(_PNG) and len(data) > 10_000
    return output
