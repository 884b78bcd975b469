"""Whether a ``str`` is text the wire can carry: no lone surrogates.

Python hands RelayDesk strings that are not Unicode text in three ways: the
command line and the environment are decoded with ``surrogateescape``
(PEP 383), so a byte that is not UTF-8 becomes a lone surrogate
(``'\\udcff'``); aiohttp decodes HTTP header bytes the same way; and JSON's
``\\ud800`` escape decodes to a lone surrogate too (RFC 8259 §8.2 leaves such
strings undefined). UTF-8 cannot encode any of them, so every URL, token,
header and message built from one would fail deep inside a library with
``UnicodeEncodeError``. The parsers and builders of :mod:`relaydesk.protocol`
check their input with :func:`is_text` first and raise their own typed error
instead.

A well-formed Python string never holds a surrogate code point (a pair is one
astral character), so any surrogate found is a lone one.
"""

from __future__ import annotations

import re

__all__ = ["NOT_TEXT", "is_text"]

_SURROGATE = re.compile(r"[\ud800-\udfff]")

#: The reason given when :func:`is_text` fails, for "<what> " + NOT_TEXT.
NOT_TEXT = "is not valid text: it holds bytes that are not UTF-8 (a lone surrogate)"


def is_text(value: str) -> bool:
    """True when ``value`` can be encoded as UTF-8 (it holds no lone surrogate)."""
    return _SURROGATE.search(value) is None
