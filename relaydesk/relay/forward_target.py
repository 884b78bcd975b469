"""Where a forwarding listener sends requests, and what they look like there.

Pure functions (no I/O): validate a ``--forward`` URL, map a relayed
request target (§7.2: the path *includes* the hybrid connection's name, as
the official ``hcreverseproxy`` sample strips it) onto the local base URL,
and rewrite headers as a reverse proxy does (RFC 7230 §6.1 hop-by-hop
headers removed, ``Forwarded`` — RFC 7239 — and ``X-Forwarded-*`` added).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from relaydesk.errors import InvalidField
from relaydesk.protocol.address import strip_sb_hc_params
from relaydesk.protocol.messages import RemoteEndpoint
from relaydesk.protocol.wire_names import AUTH_HEADER

__all__ = [
    "PROXY_HOP_BY_HOP",
    "ForwardTarget",
    "local_path",
    "proxied_request_headers",
    "proxied_response_headers",
    "rendezvous_suffix",
]

#: Headers that describe one hop, never passed through (RFC 7230 §6.1), plus
#: the relay's credential header (§3), which must never reach the local app.
PROXY_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "close",
        "content-length",
        "host",
        AUTH_HEADER.lower(),  # the relay's credential never reaches the local app
    }
)

#: WebSocket handshake headers the local WebSocket client makes itself.
_WS_HANDSHAKE = frozenset(
    {
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "sec-websocket-accept",
    }
)

_SCHEMES = {"http": ("http", "https"), "ws": ("ws", "wss", "http", "https")}


@dataclass(frozen=True)
class ForwardTarget:
    """A validated local base URL (``http://127.0.0.1:8080/api``).

    Attributes:
        scheme: ``http``/``https`` (``ws``/``wss`` for WebSocket targets).
        authority: ``host:port`` as given (what ``Host`` defaults to).
        base_path: the path prefix, no trailing slash (``""`` for the root).
    """

    scheme: str
    authority: str
    base_path: str

    @classmethod
    def parse(cls, text: str, *, field: str = "forward", kind: str = "http") -> ForwardTarget:
        """Validate ``text`` as a local base URL.

        Raises:
            InvalidField: not an absolute http(s) (or ws(s)) URL with a host,
                or it has a query/fragment; the message names the field.
        """
        example = "http://127.0.0.1:8080" if kind == "http" else "ws://127.0.0.1:8080/ws"
        parts = urlsplit(text.strip())
        if parts.scheme.lower() not in _SCHEMES[kind] or not parts.hostname:
            raise InvalidField(field, f"{text!r} is not a local base URL; use e.g. {example}")
        if parts.query or parts.fragment:
            raise InvalidField(field, "the base URL cannot have a query or fragment")
        try:
            parts.port  # noqa: B018 - validates the port number
        except ValueError:
            raise InvalidField(field, f"{text!r} has an invalid port") from None
        scheme = parts.scheme.lower()
        if kind == "ws":
            scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
        return cls(scheme=scheme, authority=parts.netloc, base_path=parts.path.rstrip("/"))

    @property
    def secure(self) -> bool:
        """True for https/wss."""
        return self.scheme in ("https", "wss")

    def url(self, path_and_query: str = "/") -> str:
        """The local URL for ``path_and_query`` (already percent-encoded)."""
        return f"{self.scheme}://{self.authority}{self.base_path}{path_and_query}"

    def as_websocket(self) -> ForwardTarget:
        """The same base with the WebSocket scheme (``http`` → ``ws``)."""
        scheme = {"http": "ws", "https": "wss"}.get(self.scheme, self.scheme)
        return ForwardTarget(scheme, self.authority, self.base_path)

    def __str__(self) -> str:
        return self.url("")


def local_path(request_target: str, entity_path: str) -> str:
    """The request target below the hybrid connection (§7.2).

    ``/demo/api/x?y=1`` on entity ``demo`` → ``/api/x?y=1``; the entity
    itself → ``/``. A target outside the entity is passed on unchanged.
    """
    prefix = "/" + entity_path.strip("/")
    rest = request_target
    if request_target.lower().startswith(prefix.lower()):
        after = request_target[len(prefix) :]
        if not after or after[0] in "/?":
            rest = after
    if not rest.startswith("/"):
        rest = "/" + rest
    return rest


def rendezvous_suffix(address: str, entity_path: str) -> str:
    """Path suffix and app query of a WebSocket sender, from its accept address (§5.1).

    ``wss://ns/$hc/demo/chat?room=1&sb-hc-action=accept&sb-hc-id=…`` →
    ``/chat?room=1``.
    """
    parts = urlsplit(address)
    path = parts.path
    prefix = "/$hc/" + entity_path.strip("/")
    if path.lower().startswith(prefix.lower()):
        path = path[len(prefix) :]
    query = strip_sb_hc_params(parts.query)
    return (path or "/") + (f"?{query}" if query else "")


def _connection_tokens(headers: Mapping[str, str]) -> set[str]:
    """Header names listed in ``Connection`` (also hop-by-hop, RFC 7230 §6.1)."""
    for name, value in headers.items():
        if name.lower() == "connection":
            return {token.strip().lower() for token in value.split(",") if token.strip()}
    return set()


def _drop(headers: Mapping[str, str], extra: Iterable[str] = ()) -> dict[str, str]:
    hidden = PROXY_HOP_BY_HOP | _connection_tokens(headers) | set(extra)
    return {k: v for k, v in headers.items() if k.lower() not in hidden}


def _quoted_node(address: str) -> str:
    """An RFC 7239 node: IPv6 in quotes and brackets."""
    return f'"[{address}]"' if ":" in address else address


def proxied_request_headers(
    headers: Mapping[str, str],
    *,
    remote: RemoteEndpoint | None,
    prefix: str,
    host: str | None,
    websocket: bool = False,
) -> dict[str, str]:
    """The sender's headers as the local service should see them.

    Hop-by-hop headers go; ``Via`` (added by the relay, §7.1) stays;
    ``Forwarded``/``X-Forwarded-For`` are extended with the sender's
    address, ``X-Forwarded-Host`` is the relay host the sender called,
    ``X-Forwarded-Proto`` is ``https`` (senders always use TLS, §1) and
    ``X-Forwarded-Prefix`` the hybrid connection path the app lives under.
    ``host`` (if given) becomes ``Host``; else the local URL's authority.
    """
    original_host = next((v for k, v in headers.items() if k.lower() == "host"), "")
    result = _drop(headers, _WS_HANDSHAKE if websocket else ())
    forwarded = ["proto=https"]
    if remote is not None and remote.address:
        forwarded.insert(0, f"for={_quoted_node(remote.address)}")
        _append(result, "X-Forwarded-For", remote.address)
    if original_host:
        forwarded.append(f'host="{original_host}"')
        result.setdefault("X-Forwarded-Host", original_host)
    _append(result, "Forwarded", ";".join(forwarded))
    result.setdefault("X-Forwarded-Proto", "https")
    result.setdefault("X-Forwarded-Prefix", prefix)
    if host:
        result["Host"] = host
    return result


def _append(headers: dict[str, str], name: str, value: str) -> None:
    existing = next((k for k in headers if k.lower() == name.lower()), None)
    if existing is None:
        headers[name] = value
    else:
        headers[existing] = f"{headers[existing]}, {value}"


def proxied_response_headers(raw: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The local response's headers for the relay: joined, hop-by-hop removed (§7.3).

    The ``response`` message maps each name to one string (§7.3), so a
    repeated header is joined with ``", "`` as .NET does; header names keep
    the local service's spelling.
    """
    joined: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for name, value in raw:
        key = name.lower()
        if key in joined:
            joined[key] = f"{joined[key]}, {value}"
        else:
            joined[key] = value
            spelled[key] = name
    hidden = PROXY_HOP_BY_HOP | _connection_tokens(joined)
    return {spelled[k]: v for k, v in joined.items() if k not in hidden}
