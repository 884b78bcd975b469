"""Hypothesis strategies for hostile and odd text.

``st.text()`` never yields a lone surrogate, yet that is what Python hands
RelayDesk for a byte that is not UTF-8: in ``sys.argv`` and ``os.environ``
(PEP 383 ``surrogateescape``), in aiohttp's header values, and from a JSON
``\\udcff`` escape. These strategies mix lone surrogates with the characters
that matter to URLs, tokens, HTTP heads and JSON, so every parser and builder
meets them often, not once in a few hundred examples.
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = [
    "LONE_SURROGATE",
    "dns_names",
    "hostile_char",
    "hostile_text",
    "pieces_and_hostile_text",
]

#: One lone surrogate: what ``surrogateescape`` makes of a byte 0x80–0xFF.
LONE_SURROGATE = st.characters(categories=["Cs"])

_SPECIAL = "\r\n\x00\t\x7f %&=?#/:;@[]\\\"'<>,.é€😀\ufffd"

#: One character: any Unicode, a lone surrogate, or one that means something on the wire.
hostile_char = st.one_of(st.characters(), LONE_SURROGATE, st.sampled_from(_SPECIAL))


def hostile_text(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text of :data:`hostile_char`, lone surrogates included.

    Built from a list: ``st.text`` drops surrogates even from its alphabet.
    """
    return st.lists(hostile_char, min_size=min_size, max_size=max_size).map("".join)


def pieces_and_hostile_text(pieces: list[str], *, max_parts: int = 12) -> st.SearchStrategy[str]:
    """Well-formed ``pieces`` of a format interleaved with short hostile text.

    Random text alone rarely gets past the first check of a parser; joining
    the format's own pieces (``"sr="``, ``"&"``, ``"sb://"`` …) with hostile
    fragments reaches the later steps too.
    """
    part = st.one_of(st.sampled_from(pieces), hostile_text(max_size=6))
    return st.lists(part, max_size=max_parts).map("".join)


def dns_names() -> st.SearchStrategy[str]:
    """Host names around the DNS limits: labels of 1–70 characters, up to 6 labels."""
    label = st.integers(min_value=1, max_value=70).map(lambda n: "a" * n)
    return st.lists(label, min_size=1, max_size=6).map(".".join)
