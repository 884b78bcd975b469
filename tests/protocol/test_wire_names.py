"""relaydesk.protocol.wire_names: each header and parameter name is written once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from relaydesk.protocol import wire_names

PACKAGE = Path(__file__).resolve().parents[2] / "relaydesk"


def _code_lines(path: Path) -> list[str]:
    """Source lines outside docstrings and comments (good enough for literals)."""
    lines, in_doc = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith(('"""', "'''")):
            if not (len(stripped) > 3 and stripped.endswith(('"""', "'''"))):
                in_doc = not in_doc
            continue
        if not in_doc and not stripped.startswith("#"):
            lines.append(line)
    return lines


@pytest.mark.parametrize("name", [n for n in wire_names.__all__ if n != "RESERVED_PARAM_PREFIX"])
def test_the_name_is_spelled_out_only_in_wire_names(name: str) -> None:
    value = getattr(wire_names, name)
    quoted = re.compile(rf"[\"'][^\"']*\b{re.escape(value)}\b", re.IGNORECASE)
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "wire_names.py"
        and path.parent.name != "gui"  # tooltips and labels name headers for people
        and "gui" not in path.parts
        and any(quoted.search(line) for line in _code_lines(path))
    ]
    assert offenders == []
