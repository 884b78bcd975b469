"""Hybrid connection addresses: parse what users paste, build the wire URLs.

One :class:`HybridConnectionAddress` names one hybrid connection (protocol §1)
and builds the three URL shapes the protocol uses: the listener control
channel (§4.1), the WebSocket sender (§6) and the plain HTTP sender (§7.1),
plus the resource URI a SAS token signs (§9.3).

Pure functions over text: no sockets, no clocks.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from relaydesk.errors import InvalidAddress, InvalidInput, InvalidTokenFormat
from relaydesk.protocol.text import NOT_TEXT, is_text
from relaydesk.protocol.wire_names import (
    ACTION_PARAM,
    ID_PARAM,
    RESERVED_PARAM_PREFIX,
    STATUS_CODE_PARAM,
    STATUS_DESCRIPTION_PARAM,
    TOKEN_PARAM,
)

__all__ = [
    "ENTITY_PATH_MAX_LENGTH",
    "HOST_LABEL_MAX_LENGTH",
    "HOST_NAME_MAX_LENGTH",
    "HybridConnectionAddress",
    "check_entity_path",
    "is_loopback_host",
    "reject_url",
    "split_entity_path",
    "split_host_port",
    "strip_sb_hc_params",
]

#: Maximum length of a hybrid connection name (protocol §1).
ENTITY_PATH_MAX_LENGTH = 260

#: Schemes a pasted address may carry. ``sb`` is the SDK address, ``https`` the
#: HTTP sender URL, ``wss`` the WebSocket URL (§1). ``http``/``ws`` are accepted
#: too because SAS resource URIs use ``http://`` (§9.3) and users paste them;
#: RelayDesk always talks TLS regardless of the pasted scheme.
_SCHEMES = frozenset({"sb", "https", "wss", "http", "ws"})

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_HALF_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:/(?!/)")
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._\-]*[A-Za-z0-9])?\Z")
_HOSTNAME_RE = re.compile(
    r"^[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\Z"
)
#: DNS limits (RFC 1035 §2.3.4): a label is at most 63 octets, a name at most
#: 253 characters in text form. Longer names cannot be resolved, and Python's
#: ``idna`` codec (used by ``getaddrinfo`` and TLS SNI) raises ``UnicodeError``
#: on a longer label, so the parser refuses them with a reason instead.
HOST_LABEL_MAX_LENGTH = 63
HOST_NAME_MAX_LENGTH = 253
_IPV6_RE = re.compile(r"^[0-9a-f:.]+\Z")
_PORT_RE = re.compile(r"^[0-9]{1,5}\Z")
_EXAMPLE = "e.g. sb://ns.servicebus.windows.net/my-hc"

# Characters left unencoded in a path suffix or query the user supplies: the
# RFC 3986 sub-delims, ':' '@' '/', and '%' so existing escapes survive.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"


def check_entity_path(path: str) -> str | None:
    """Return why ``path`` is not a valid hybrid connection name, or ``None``.

    Protocol §1: 1–260 characters; letters, digits, ``.``, ``-``, ``_``,
    ``/``; it must start and end with a letter or digit. Slashes separate
    segments; each segment must also start and end alphanumeric (so no empty
    segments such as ``a//b``).
    """
    if not path:
        return f"the hybrid connection name is empty ({_EXAMPLE})"
    if len(path) > ENTITY_PATH_MAX_LENGTH:
        return (
            f"the hybrid connection name is {len(path)} characters long; "
            f"the limit is {ENTITY_PATH_MAX_LENGTH}"
        )
    for segment in path.split("/"):
        if not _SEGMENT_RE.match(segment):
            return (
                f"the hybrid connection name {_shown(path)} is not valid: use letters, "
                "digits, '.', '-', '_' and '/', and start and end every "
                "'/'-separated part with a letter or digit"
            )
    return None


def split_host_port(netloc: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` (``[v6]:port`` too) into a lower-case host and port.

    Raises:
        InvalidAddress: the host or port is not valid.
    """
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise _invalid("the IPv6 host is missing its closing ']'")
        host, rest = netloc[1:end].lower(), netloc[end + 1 :]
        if not host or not _IPV6_RE.match(host) or ":" not in host:
            raise _invalid(f"{_shown(netloc[: end + 1])} is not a valid IPv6 address")
        if rest and not rest.startswith(":"):
            raise _invalid(f"unexpected text {_shown(rest)} after the IPv6 host")
        port_text = rest[1:] if rest else None
    else:
        host, sep, port_text_raw = netloc.partition(":")
        host = host.lower()
        port_text = port_text_raw if sep else None
        if not host:
            raise _invalid(f"the namespace host is missing ({_EXAMPLE})")
        if not _HOSTNAME_RE.match(host):
            raise _invalid(f"the host {_shown(host)} is not a valid host name ({_EXAMPLE})")
        _check_dns_lengths(host)
    return host, _parse_port(port_text)


def _check_dns_lengths(host: str) -> None:
    """Refuse host names DNS cannot carry (RFC 1035 §2.3.4)."""
    if len(host) > HOST_NAME_MAX_LENGTH:
        raise _invalid(
            f"the host name is {len(host)} characters long; the limit is {HOST_NAME_MAX_LENGTH}"
        )
    longest = max(host.split("."), key=len)
    if len(longest) > HOST_LABEL_MAX_LENGTH:
        raise _invalid(
            f"a part of the host name between dots is {len(longest)} characters long; "
            f"the limit is {HOST_LABEL_MAX_LENGTH}"
        )


def _parse_port(text: str | None) -> int | None:
    """Return the port number, ``None`` for absent/default (443)."""
    if text is None:
        return None
    if not _PORT_RE.match(text) or not 1 <= int(text) <= 65535:
        raise _invalid(f"the port {_shown(text)} is not a number from 1 to 65535")
    port = int(text)
    return None if port == 443 else port


def _shown(text: str) -> str:
    """Quote user input for an error message only when it cannot be a secret.

    A pasted token or key must never reach an exception text, so long text or
    text with ``=``, ``&``, ``%`` or whitespace is described, not echoed.
    """
    if len(text) <= 64 and not re.search(r"[=&%\s]", text):
        return repr(text)
    return "(not shown)"


def _invalid(reason: str) -> InvalidAddress:
    return InvalidAddress(field="address", reason=reason)


def _quoted(value: str, *, safe: str, field: str, what: str) -> str:
    """Percent-encode one URL part; a value that is not text is refused.

    Args:
        value: the part (a path suffix, query, id, token, description).
        safe: characters left unencoded.
        field: the error's ``field`` (``"path"``, ``"query"`` …).
        what: how the reason names the part (``"the path suffix"``).

    Raises:
        InvalidTokenFormat: for ``field="token"``.
        InvalidAddress: for every other part.
    """
    if not is_text(value):
        error: type[InvalidInput] = InvalidTokenFormat if field == "token" else InvalidAddress
        raise error(field=field, reason=f"{what} {NOT_TEXT}")
    return quote(value, safe=safe)


@dataclass(frozen=True)
class HybridConnectionAddress:
    """One hybrid connection: namespace host, optional port, entity path (§1).

    Attributes:
        host: lower-cased namespace host (``ns.servicebus.windows.net``,
            ``127.0.0.1``, ``::1`` — IPv6 without brackets).
        port: TCP port, ``None`` for the default 443 (§1: TLS on 443 only;
            other ports exist for the local emulator).
        entity_path: hybrid connection name, possibly several segments
            (``demo``, ``a/b/c``), without leading or trailing ``/``.
    """

    host: str
    port: int | None
    entity_path: str

    @classmethod
    def parse(cls, text: str) -> HybridConnectionAddress:
        """Parse any address form a user pastes.

        Accepted: ``sb://ns/hc``, ``https://ns/hc``, ``wss://ns/$hc/hc?…``
        (the ``$hc`` infix, query and fragment are dropped), bare ``ns/hc``,
        ``host:port/hc``, ``[::1]:port/hc``; multi-segment names, trailing
        slashes and surrounding whitespace. The query is dropped entirely:
        an address names the entity, not one request to it. A path suffix
        after the entity cannot be told apart from a multi-segment name
        without asking the service, so the whole path is taken as the name.
        Port 443 is normalised to ``None``.

        Raises:
            InvalidAddress: with ``field="address"`` and a reason that says
                how to fix the input.
        """
        if not isinstance(text, str):
            raise _invalid("the address must be text")
        stripped = text.strip()
        if not stripped:
            raise _invalid(f"the address is empty ({_EXAMPLE})")
        if stripped.lower().startswith("sharedaccesssignature"):
            raise _invalid(f"this looks like a SAS token, not an address ({_EXAMPLE})")
        if ";" in stripped and "=" in stripped and "endpoint" in stripped.lower():
            # Never echo it: a connection string carries the key.
            raise _invalid(
                "this looks like a connection string; paste it as a connection string, "
                f"or give the address alone ({_EXAMPLE})"
            )
        rest = _strip_scheme(stripped)
        rest = re.split(r"[?#]", rest, maxsplit=1)[0]
        netloc, _, path = rest.partition("/")
        if "@" in netloc:
            raise _invalid("user names or passwords are not allowed in the address")
        host, port = split_host_port(netloc)
        return cls(host=host, port=port, entity_path=_entity_from_path(path))

    @property
    def namespace(self) -> str:
        """``host`` or ``host:port`` (``[::1]:8443`` for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def sb_uri(self) -> str:
        """The SDK form ``sb://namespace/entity`` (§1)."""
        return f"sb://{self.namespace}/{self.entity_path}"

    def __str__(self) -> str:
        return self.sb_uri

    def listen_url(self, listener_id: str, *, token: str | None = None) -> str:
        """Control channel URL (§4.1).

        ``wss://ns/$hc/entity?sb-hc-action=listen&sb-hc-id=<id>`` plus
        ``&sb-hc-token=<percent-encoded token>`` when ``token`` is given
        (§3; SDKs prefer the ``ServiceBusAuthorization`` header instead).

        Raises:
            InvalidAddress: ``listener_id`` is not text (``field="listener_id"``).
            InvalidTokenFormat: ``token`` is not text.
        """
        listener = _quoted(listener_id, safe="", field="listener_id", what="the listener id")
        query = f"{ACTION_PARAM}=listen&{ID_PARAM}={listener}"
        return f"wss://{self.namespace}/$hc/{self.entity_path}?{query}" + _token_param(token)

    def connect_url(
        self,
        *,
        suffix: str = "",
        query: str = "",
        connection_id: str | None = None,
        token: str | None = None,
    ) -> str:
        """WebSocket sender URL (§6).

        ``wss://ns/$hc/entity[/suffix]?[query&]sb-hc-action=connect``
        ``[&sb-hc-id=…][&sb-hc-token=…]``. ``sb-hc-*`` parameters in ``query``
        are removed first (§2) so they cannot clash with ours.

        Raises:
            InvalidAddress: a part is not text (``field`` ``"path"``, ``"query"``
                or ``"connection_id"``).
            InvalidTokenFormat: ``token`` is not text.
        """
        app_query = strip_sb_hc_params(query)
        params = f"{ACTION_PARAM}=connect"
        if connection_id is not None:
            connection = _quoted(
                connection_id, safe="", field="connection_id", what="the connection id"
            )
            params += f"&{ID_PARAM}={connection}"
        full_query = f"{app_query}&{params}" if app_query else params
        path = f"/$hc/{self.entity_path}{_suffix(suffix)}"
        return f"wss://{self.namespace}{path}?{full_query}" + _token_param(token)

    def http_url(self, *, suffix: str = "", query: str = "", token: str | None = None) -> str:
        """HTTP sender URL (§7.1): ``https://ns/entity[/suffix][?query]``.

        No ``$hc`` infix. With ``token`` the query gets ``sb-hc-token`` (§3).

        Raises:
            InvalidAddress: ``suffix`` or ``query`` is not text.
            InvalidTokenFormat: ``token`` is not text.
        """
        app_query = strip_sb_hc_params(query)
        url = f"https://{self.namespace}/{self.entity_path}{_suffix(suffix)}"
        if app_query:
            url += f"?{app_query}"
        if token is None:
            return url
        return url + ("&" if app_query else "?") + _token_param(token)[1:]

    def sas_resource_uri(self) -> str:
        """The resource URI to sign (§9.3): ``http://host/entity``.

        The form the Node SDK and Microsoft's Python sample sign; no port,
        since the service ignores scheme and port when checking ``sr`` (§9.4).
        """
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}/{self.entity_path}"


def _strip_scheme(text: str) -> str:
    """Remove and check a ``scheme://`` prefix; bare addresses pass through."""
    match = _SCHEME_RE.match(text)
    if match is None:
        if "://" in text or _HALF_SCHEME_RE.match(text):
            raise _invalid(f"the address scheme is not valid ({_EXAMPLE})")
        return text
    scheme = match.group(1).lower()
    if scheme not in _SCHEMES:
        raise _invalid(
            f"the scheme {_shown(scheme)} is not supported; "
            f"use sb://, https:// or wss:// ({_EXAMPLE})"
        )
    return text[match.end() :]


def _entity_from_path(path: str) -> str:
    """Turn the URL path after the host into an entity path (drop ``$hc``)."""
    path = path.strip("/")
    head, _, tail = path.partition("/")
    if head.lower() == "$hc":
        path = tail.strip("/")
    if not path:
        raise _invalid(f"missing the hybrid connection name after the host ({_EXAMPLE})")
    problem = check_entity_path(path)
    if problem is not None:
        raise _invalid(problem)
    return path


def _suffix(suffix: str) -> str:
    """Path suffix after the entity: ``""`` or ``/`` + encoded suffix."""
    suffix = suffix.lstrip("/")
    if not suffix:
        return ""
    return "/" + _quoted(suffix, safe=_PATH_SAFE, field="path", what="the path suffix")


def _token_param(token: str | None) -> str:
    """``&sb-hc-token=<token>`` with every reserved character encoded (§2)."""
    if token is None:
        return ""
    return f"&{TOKEN_PARAM}=" + _quoted(token, safe="", field="token", what="the token")


def reject_url(accept_address: str, status_code: int, status_description: str) -> str:
    """The URL a listener connects to in order to *reject* an ``accept`` (§5.3).

    ``accept.address`` + ``&sb-hc-statusCode=<code>&sb-hc-statusDescription=<enc>``
    (the .NET/Java form; the service answers that handshake with 410 Gone on
    success). ``?`` is used instead of ``&`` if the address has no query.

    Raises:
        InvalidAddress: the address or the description is not text
            (``field`` ``"address"`` or ``"status_description"``).
    """
    if not is_text(accept_address):
        raise _invalid(f"the rendezvous address {NOT_TEXT}")
    description = _quoted(
        status_description, safe="", field="status_description", what="the status description"
    )
    separator = "&" if "?" in accept_address else "?"
    return (
        f"{accept_address}{separator}{STATUS_CODE_PARAM}={int(status_code)}"
        f"&{STATUS_DESCRIPTION_PARAM}={description}"
    )


def strip_sb_hc_params(query: str) -> str:
    """Remove ``sb-hc-*`` parameters from a query, as the service does (§2).

    A segment is dropped when its name starts with ``sb-hc-`` *and* the
    segment contains ``=`` (so ``sb-hc-undefined`` alone survives). All other
    segments are kept verbatim, including repeated keys and empty ``&&``
    segments. A leading ``?`` is ignored; the result has none. Unsafe
    characters (space, ``"``, ``<``, ``>``, non-ASCII) are percent-encoded.

    The service's prefix match is case-sensitive or not — [UNKNOWN]; we
    match case-insensitively, the safe choice: a mis-cased ``SB-HC-TOKEN``
    is never forwarded to a listener.

    Raises:
        InvalidAddress: the query is not text (``field="query"``).
    """
    query = query.removeprefix("?")
    if not query:
        return ""
    kept = [
        segment
        for segment in query.split("&")
        if not ("=" in segment and segment.lower().startswith(RESERVED_PARAM_PREFIX))
    ]
    return _quoted("&".join(kept), safe=_QUERY_SAFE, field="query", what="the query")


def split_entity_path(path: str, known: Iterable[str]) -> tuple[str, str] | None:
    """Find which known hybrid connection a request path addresses (§1).

    Longest-prefix match, segment by segment, case-insensitive (the MS test
    double matches case-insensitively; the service's rule is [INFER]).

    Args:
        path: URL path after the host (and after ``/$hc`` for WebSocket
            URLs), with or without a leading ``/``; no query.
        known: registered entity names.

    Returns:
        ``(name, rest)`` where ``name`` is the matching entry of ``known``
        (its own spelling) and ``rest`` is the remainder of the path, either
        empty or starting with ``/``; ``None`` when nothing matches.
    """
    relative = path.lstrip("/")
    segments = relative.split("/")
    folded = [s.lower() for s in segments]
    best: tuple[str, int] | None = None
    for name in known:
        name_segments = name.strip("/").lower().split("/")
        count = len(name_segments)
        if folded[:count] == name_segments and (best is None or count > best[1]):
            best = (name, count)
    if best is None:
        return None
    name, count = best
    rest = "/".join(segments[count:])
    return name, (f"/{rest}" if len(segments) > count else "")


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and its subdomains, 127.0.0.0/8 and ``::1``.

    Public certificate authorities issue no certificates for these names,
    and proxies are never wanted for them.
    """
    if not host:
        return False
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
