"""Option value types: decode and check values where argparse reads them.

``sys.argv`` is decoded with ``surrogateescape`` (PEP 383), so a byte that is
not UTF-8 arrives as a lone surrogate, which no URL, token, message, request
body or profile lookup can encode. A timeout of ``inf`` overflows, and 0,
negative and NaN timeouts read as "no timeout" further down. These types
refuse such values when the command line is parsed, naming the option;
:func:`relaydesk.cli.main` reports them in the one-line usage-error style
with exit code 2. File paths keep argparse's plain ``str``: on POSIX a file
name may be any bytes.
"""

from __future__ import annotations

import argparse
import math

from relaydesk.protocol.text import is_text

__all__ = ["seconds", "text"]


def text(value: str) -> str:
    """A value that must be UTF-8 text (it goes on the wire or into a lookup)."""
    if not is_text(value):
        raise argparse.ArgumentTypeError("the value holds bytes that are not UTF-8 text")
    return value


def seconds(value: str) -> float:
    """A positive, finite number of seconds."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not (number > 0 and math.isfinite(number)):
        raise argparse.ArgumentTypeError(
            f"must be a positive, finite number of seconds, not {value!r}"
        )
    return number
