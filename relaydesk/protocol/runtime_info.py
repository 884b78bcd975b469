"""Runtime information of a hybrid connection: the Atom documents (§11).

``GET https://{ns}/{path}?api-version=2016-07`` with the token in
``Authorization`` and ``X-PROCESS-AT: ServiceBus`` answers with an Atom
``<entry>`` whose ``<content>`` holds a ``HybridConnectionDescription``
(``CreatedAt``, ``UpdatedAt``, ``RequiresClientAuthorization``,
``UserMetadata``, ``ListenerCount``, in that data-contract order); an Atom
``<feed>`` (content type ``application/atom+xml;type=feed``) means "no such
entity" [SDK-.NET ``ManagementOperations``, ``HybridConnectionRuntimeInformation``].

Missing members take the .NET defaults: 0 listeners, client authorization
required, no metadata, no times. The parser is strict about what it reads
(a bounded document, no DTD, well-formed XML, typed members) and lenient
about what it ignores (extra Atom elements, unknown description members,
member order), since the service may add members.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

from relaydesk.errors import RemoteProtocolViolation

__all__ = [
    "ATOM_NS",
    "ENTRY_CONTENT_TYPE",
    "FEED_CONTENT_TYPE",
    "MAX_DOCUMENT_BYTES",
    "PROCESS_AT_HEADER",
    "PROCESS_AT_VALUE",
    "RUNTIME_INFO_API_VERSION",
    "SERVICEBUS_NS",
    "RuntimeInfo",
    "build_entry",
    "build_not_found_feed",
    "format_datetime",
    "is_feed_content_type",
    "parse_runtime_info",
]

#: The management API version the .NET SDK sends (``RelayConstants.ManagementApiVersion``).
RUNTIME_INFO_API_VERSION = "2016-07"
PROCESS_AT_HEADER = "X-PROCESS-AT"
PROCESS_AT_VALUE = "ServiceBus"
ATOM_NS = "http://www.w3.org/2005/Atom"
SERVICEBUS_NS = "http://schemas.microsoft.com/netservices/2010/10/servicebus/connect"
ENTRY_CONTENT_TYPE = "application/atom+xml;type=entry;charset=utf-8"
FEED_CONTENT_TYPE = "application/atom+xml;type=feed;charset=utf-8"
#: A description is a few hundred bytes; user metadata is at most 1024 chars in Azure.
MAX_DOCUMENT_BYTES = 64 * 1024

_DT_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$"
)


@dataclass(frozen=True)
class RuntimeInfo:
    """What the relay says about a hybrid connection right now.

    Attributes:
        listener_count: control channels currently connected (§4.7).
        requires_client_authorization: whether senders need a token (§6).
        created_at, updated_at: UTC times, or ``None`` when not given.
        user_metadata: the free-text metadata set at creation, or ``None``.
    """

    listener_count: int = 0
    requires_client_authorization: bool = True
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    user_metadata: str | None = None


def is_feed_content_type(content_type: str) -> bool:
    """Whether ``content_type`` is ``application/atom+xml`` with ``type=feed``.

    That is how the .NET SDK recognises "not found" (``IsFeedContentType``).
    """
    parts = [part.strip() for part in content_type.split(";")]
    if not parts or parts[0].lower() != "application/atom+xml":
        return False
    for param in parts[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "type":
            return value.strip().strip('"').lower() == "feed"
    return False


def parse_runtime_info(body: bytes, content_type: str = "") -> RuntimeInfo | None:
    """Parse the answer to a runtime-information GET.

    Args:
        body: the response body.
        content_type: the ``Content-Type`` header.

    Returns:
        The runtime information, or ``None`` when the answer is an Atom feed
        (by content type or by root element): the entity does not exist.

    Raises:
        RemoteProtocolViolation: the body is too large, not XML, carries a
            DTD, is neither an Atom entry nor a feed, or a member has the
            wrong type.
    """
    if is_feed_content_type(content_type):
        return None
    root = _root(body)
    if root.tag == f"{{{ATOM_NS}}}feed":
        return None
    if root.tag != f"{{{ATOM_NS}}}entry":
        raise RemoteProtocolViolation("runtime information is not an Atom entry or feed")
    content = root.find(f"{{{ATOM_NS}}}content")
    description = (
        None if content is None else content.find(f"{{{SERVICEBUS_NS}}}HybridConnectionDescription")
    )
    if description is None:
        raise RemoteProtocolViolation(
            "the Atom entry holds no HybridConnectionDescription in its content"
        )
    members = {_local(child.tag): (child.text or "") for child in description}
    return RuntimeInfo(
        listener_count=_int(members.get("ListenerCount"), "ListenerCount"),
        requires_client_authorization=_bool(
            members.get("RequiresClientAuthorization"), "RequiresClientAuthorization"
        ),
        created_at=_datetime(members.get("CreatedAt"), "CreatedAt"),
        updated_at=_datetime(members.get("UpdatedAt"), "UpdatedAt"),
        user_metadata=members.get("UserMetadata"),
    )


def _root(body: bytes) -> ET.Element:
    if len(body) > MAX_DOCUMENT_BYTES:
        raise RemoteProtocolViolation(f"runtime information larger than {MAX_DOCUMENT_BYTES} bytes")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise RemoteProtocolViolation("runtime information must not carry a DTD")
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise RemoteProtocolViolation(
            f"runtime information is not well-formed XML ({exc})"
        ) from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _int(text: str | None, name: str) -> int:
    if text is None:
        return 0
    value = text.strip()
    if not re.fullmatch(r"\d{1,9}", value):
        raise RemoteProtocolViolation(f"{name} is not a count: {value[:40]!r}")
    return int(value)


def _bool(text: str | None, name: str) -> bool:
    if text is None:
        return True
    value = text.strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise RemoteProtocolViolation(f"{name} is not a boolean: {value[:40]!r}")
    return value in ("true", "1")


def _datetime(text: str | None, name: str) -> dt.datetime | None:
    """A .NET data-contract ``DateTime`` (up to 7 fraction digits) as aware UTC."""
    if text is None:
        return None
    match = _DT_RE.match(text.strip())
    if match is None:
        raise RemoteProtocolViolation(f"{name} is not a date and time: {text[:40]!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    if zone in (None, "Z"):
        tz = dt.UTC
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = dt.timezone(sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        value = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tz
        )
    except ValueError:
        raise RemoteProtocolViolation(f"{name} is not a valid date: {text[:40]!r}") from None
    return value.astimezone(dt.UTC)


def format_datetime(value: dt.datetime) -> str:
    """Format like .NET's data contract: ``2024-01-02T03:04:05.1234567Z`` (UTC)."""
    utc = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}0Z"


def build_entry(info: RuntimeInfo, *, entity: str, url: str, namespace_name: str) -> bytes:
    """The Atom entry the service answers for an existing hybrid connection.

    Members are written in data-contract order (CreatedAt, UpdatedAt,
    RequiresClientAuthorization, UserMetadata, ListenerCount): .NET's
    ``DataContractSerializer`` reads ordered members and skips out-of-order
    ones. ``None`` members are omitted (``EmitDefaultValue = false``).
    """
    updated = format_datetime(info.updated_at or dt.datetime.now(dt.UTC))
    published = format_datetime(info.created_at) if info.created_at else updated
    members: list[str] = []
    if info.created_at is not None:
        members.append(f"<CreatedAt>{format_datetime(info.created_at)}</CreatedAt>")
    if info.updated_at is not None:
        members.append(f"<UpdatedAt>{format_datetime(info.updated_at)}</UpdatedAt>")
    flag = "true" if info.requires_client_authorization else "false"
    members.append(f"<RequiresClientAuthorization>{flag}</RequiresClientAuthorization>")
    if info.user_metadata is not None:
        members.append(f"<UserMetadata>{escape(info.user_metadata)}</UserMetadata>")
    members.append(f"<ListenerCount>{info.listener_count}</ListenerCount>")
    text = (
        f'<entry xmlns="{ATOM_NS}"><id>{escape(url)}</id>'
        f'<title type="text">{escape(entity)}</title>'
        f"<published>{published}</published><updated>{updated}</updated>"
        f"<author><name>{escape(namespace_name)}</name></author>"
        f'<link rel="self" href="{escape(url, {chr(34): "&quot;"})}"/>'
        '<content type="application/xml">'
        f'<HybridConnectionDescription xmlns="{SERVICEBUS_NS}" '
        'xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
        + "".join(members)
        + "</HybridConnectionDescription></content></entry>"
    )
    return text.encode("utf-8")


def build_not_found_feed(*, url: str, now: dt.datetime) -> bytes:
    """The empty Atom feed the service answers for a path that is no entity."""
    text = (
        f'<feed xmlns="{ATOM_NS}">'
        '<title type="text">Publicly Listed Services</title>'
        '<subtitle type="text">This is the list of publicly-listed services '
        "currently available.</subtitle>"
        f"<id>{escape(url)}</id><updated>{format_datetime(now)}</updated>"
        "<generator>Service Bus 1.1</generator></feed>"
    )
    return text.encode("utf-8")
