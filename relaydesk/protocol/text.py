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

__all__ = ["NOT_TEXT", "header_text", "is_text"]

_SURROGATE = re.compile(r"[\ud800-\udfff]")

#: The reason given when :func:`is_text` fails, for "<what> " + NOT_TEXT.
NOT_TEXT = "is not valid text: it holds bytes that are not UTF-8 (a lone surrogate)"


def is_text(value: str) -> bool:
    """True when ``value`` can be encoded as UTF-8 (it holds no lone surrogate)."""
    return _SURROGATE.search(value) is None


def header_text(value: str) -> str:
    """An HTTP reason phrase or header value as text, whatever its bytes were.

    aiohttp decodes them as UTF-8 with ``surrogateescape``; a value that is not
    UTF-8 is read instead as ISO-8859-1, what such bytes (``obs-text``) meant
    in HTTP/1.1 (RFC 9110 §5.5), so it can be shown, logged and carried in a
    control message (§7.3) like any other text.
    """
    if is_text(value):
        return value
    return value.encode("utf-8", "surrogateescape").decode("latin-1")
