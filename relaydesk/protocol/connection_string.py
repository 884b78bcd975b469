"""Relay connection strings (protocol §9.1).

``Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=rule;``
``SharedAccessKey=key;EntityPath=hc`` — parsed as the .NET
``RelayConnectionStringBuilder`` does: ``;``-separated, split on the first
``=`` (keys are base64 and end in ``=``), key names case-insensitive, empty
segments ignored, unknown keys refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from relaydesk.errors import InvalidAddress, InvalidConnectionString, InvalidTokenFormat
from relaydesk.protocol.address import HybridConnectionAddress, check_entity_path, split_host_port
from relaydesk.protocol.sas import parse_sas_token
from relaydesk.protocol.text import NOT_TEXT, is_text

__all__ = ["ConnectionString", "parse_connection_string"]

_ENDPOINT = "Endpoint"
_KEY_NAME = "SharedAccessKeyName"
_KEY = "SharedAccessKey"
_ENTITY = "EntityPath"
_SAS = "SharedAccessSignature"
_TIMEOUT = "OperationTimeout"
_AUTHENTICATION = "Authentication"
_KNOWN = {
    name.lower(): name
    for name in (_ENDPOINT, _KEY_NAME, _KEY, _ENTITY, _SAS, _TIMEOUT, _AUTHENTICATION)
}
_ENDPOINT_RE = re.compile(r"^(?:(sb|https|wss)://)?([^/?#]*)/?\Z", re.IGNORECASE)
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _.\-]{0,39}\Z")
_EXAMPLE = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=…"


def _invalid(field_name: str, reason: str) -> InvalidConnectionString:
    return InvalidConnectionString(field=field_name, reason=reason)


@dataclass(frozen=True)
class ConnectionString:
    """A parsed connection string. Secrets are hidden from ``repr``.

    Attributes:
        endpoint: normalised ``sb://host[:port]/``.
        key_name: ``SharedAccessKeyName`` or ``None``.
        key: ``SharedAccessKey`` (text, used as-is for HMAC, §9.3) or ``None``.
        entity_path: ``EntityPath`` or ``None`` (then supplied separately).
        shared_access_signature: a ready SAS token or ``None``.
    """

    endpoint: str
    key_name: str | None = None
    key: str | None = field(default=None, repr=False)
    entity_path: str | None = None
    shared_access_signature: str | None = field(default=None, repr=False)

    def address(self, entity_path: str | None = None) -> HybridConnectionAddress:
        """The hybrid connection this string points at.

        Args:
            entity_path: overrides ``EntityPath`` when given.

        Raises:
            InvalidConnectionString: no entity path here nor in the string
                (``field="EntityPath"``), or it is not a valid name.
        """
        path = (entity_path if entity_path is not None else self.entity_path) or ""
        path = path.strip().strip("/")
        if not path:
            raise _invalid(
                _ENTITY,
                "no hybrid connection name: add EntityPath=<name> to the connection "
                "string or give the name separately",
            )
        problem = check_entity_path(path)
        if problem is not None:
            raise _invalid(_ENTITY, problem)
        host, port = split_host_port(self.endpoint.removeprefix("sb://").rstrip("/"))
        return HybridConnectionAddress(host=host, port=port, entity_path=path)


def _segments(text: str) -> dict[str, str]:
    """Split into canonical key → value; refuse unknown and repeated keys."""
    values: dict[str, str] = {}
    for segment in text.split(";"):
        if not segment.strip():
            continue
        raw_name, sep, value = segment.partition("=")
        name = raw_name.strip()
        canonical = _KNOWN.get(name.lower())
        if not sep or canonical is None:
            # Echo the setting name only if it looks like one (never key material).
            plain = bool(sep) and _NAME_RE.match(name) is not None
            raise _invalid(
                name if plain else "connection_string",
                f"unknown setting {repr(name) if plain else '(not shown)'}; expected {_EXAMPLE}",
            )
        if canonical in values:
            raise _invalid(canonical, f"{canonical} appears more than once")
        values[canonical] = value.strip()
    return values


def _normalise_endpoint(value: str) -> str:
    """``sb://host[:port]/`` from the Endpoint value; namespace only, no path."""
    match = _ENDPOINT_RE.match(value)
    if match is None or not match.group(2):
        raise _invalid(
            _ENDPOINT,
            "Endpoint must be the namespace only, e.g. sb://ns.servicebus.windows.net/ "
            "(put the hybrid connection in EntityPath)",
        )
    try:
        host, port = split_host_port(match.group(2))
    except InvalidAddress as exc:
        raise _invalid(_ENDPOINT, exc.reason) from None
    host = f"[{host}]" if ":" in host else host
    return f"sb://{host}/" if port is None else f"sb://{host}:{port}/"


def _check_credentials(values: dict[str, str]) -> None:
    """Key name and key go together; a SAS token excludes both (§9.1)."""
    if _SAS in values and (_KEY_NAME in values or _KEY in values):
        raise _invalid(
            _SAS, "SharedAccessSignature cannot be combined with SharedAccessKeyName/Key"
        )
    if (_KEY_NAME in values) != (_KEY in values):
        missing = _KEY if _KEY_NAME in values else _KEY_NAME
        raise _invalid(missing, f"{missing} is missing; give both the key name and the key")
    for name in (_KEY_NAME, _KEY, _SAS):
        if name in values and not values[name]:
            raise _invalid(name, f"{name} is empty")
    if _SAS in values:
        try:
            parse_sas_token(values[_SAS])
        except InvalidTokenFormat as exc:
            raise _invalid(_SAS, exc.reason) from None


def parse_connection_string(text: str) -> ConnectionString:
    """Parse a Relay connection string (§9.1).

    ``OperationTimeout`` is accepted and ignored (RelayDesk has its own
    timeouts); ``Authentication`` (managed identity) is refused: RelayDesk
    does not support it.

    Raises:
        InvalidConnectionString: ``field`` names the offending key, or
            ``"connection_string"`` for structural problems. Never includes
            the key or token.
    """
    if not isinstance(text, str) or not text.strip():
        raise _invalid("connection_string", f"the connection string is empty; expected {_EXAMPLE}")
    if not is_text(text):
        raise _invalid("connection_string", f"the connection string {NOT_TEXT}")
    values = _segments(text.strip())
    if _AUTHENTICATION in values:
        raise _invalid(
            _AUTHENTICATION,
            "managed identity authentication is not supported; use a SAS key or Entra ID",
        )
    if not values.get(_ENDPOINT):
        raise _invalid(_ENDPOINT, f"Endpoint is missing; expected {_EXAMPLE}")
    endpoint = _normalise_endpoint(values[_ENDPOINT])
    _check_credentials(values)
    entity = values.get(_ENTITY, "").strip("/") or None
    if entity is not None and (problem := check_entity_path(entity)) is not None:
        raise _invalid(_ENTITY, problem)
    return ConnectionString(
        endpoint=endpoint,
        key_name=values.get(_KEY_NAME),
        key=values.get(_KEY),
        entity_path=entity,
        shared_access_signature=values.get(_SAS),
    )
