"""ruff, mypy (strict) and the import contracts are part of the test suite, so CI enforces them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> list[str]:
    """Run a tool from the same environment as the tests."""
    local = Path(sys.executable).with_name(name)
    if local.exists():
        return [str(local)]
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the 'test' extra")
    return [found]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_lint_is_clean() -> None:
    result = _run([*_tool("ruff"), "check", "relaydesk", "tests", "benchmarks"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run([*_tool("ruff"), "format", "--check", "relaydesk", "tests", "benchmarks"])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_is_clean() -> None:
    result = _run([*_tool("mypy")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_are_kept() -> None:
    """Layers, no sibling cycles, Qt only in gui ([tool.importlinter] in pyproject.toml)."""
    result = _run([*_tool("lint-imports"), "--no-cache"])
    assert result.returncode == 0, result.stdout + result.stderr
