"""Header fields: an immutable mapping for control messages (protocol §5.1, §7.2,
§7.3) and the one rule for header fields a client puts on the wire (§6, §7.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from relaydesk.errors import InvalidField
from relaydesk.protocol.text import is_text

__all__ = ["Headers", "check_header_fields"]

#: A field name is a token (RFC 9110 §5.1, §5.6.2).
_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
#: Control characters a field value must not hold (RFC 9110 §5.5; tab is allowed).
_VALUE_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def check_header_fields(headers: Mapping[str, str], *, field: str = "headers") -> dict[str, str]:
    """Copy ``headers``, refusing a field that would corrupt or break a request head.

    A name must be an RFC 9110 token; a value must be text (no lone surrogate,
    which UTF-8 cannot encode) without control characters (CR/LF would split
    the head). Values are never quoted in the error: they may be tokens.

    Raises:
        InvalidField: with ``field`` and the offending header's name.
    """
    for name, value in headers.items():
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise InvalidField(field, f"an invalid HTTP header name {name!r}")
        if not isinstance(value, str) or not is_text(value) or _VALUE_CONTROL_RE.search(value):
            raise InvalidField(field, f"an invalid value for the header {name!r}")
    return dict(headers)


class Headers(Mapping[str, str]):
    """An immutable, hashable string→string mapping for header fields.

    Unlike ``MappingProxyType`` it can be copied, pickled and hashed, so the
    frozen messages holding it work with ``dataclasses.asdict``/``replace``
    and can be put in sets. Compares equal to any mapping with the same items.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, str] = dict(items or {})

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._items == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"
