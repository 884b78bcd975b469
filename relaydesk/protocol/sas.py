"""Shared Access Signature tokens: build, parse and verify (protocol §9.2–§9.4).

The client builds tokens (:func:`build_sas_token`); the emulator verifies
them the way the service does (:func:`verify_sas_token`). Pure functions:
the current time is passed in.

Secrets: no function here puts a key, a token or a signature into an
exception text or a ``repr``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote, unquote, unquote_plus

from relaydesk.errors import InvalidField, InvalidTokenFormat, TokenRejected
from relaydesk.protocol.text import NOT_TEXT, is_text

__all__ = [
    "SAS_KEYWORD",
    "SasToken",
    "build_sas_token",
    "invalid_signature",
    "parse_sas_token",
    "resource_host_and_path",
    "verify_sas_token",
    "wrong_audience",
]

#: The scheme word that starts every SAS token (§9.2).
SAS_KEYWORD = "SharedAccessSignature"

_FIELDS = ("sr", "sig", "se", "skn")
# Up to 20 digits: beyond any real expiry and well inside int() limits.
_SE_RE = re.compile(r"^[0-9]{1,20}\Z")


@dataclass(frozen=True)
class SasToken:
    """A parsed SAS token (§9.2).

    Attributes:
        raw_sr: the ``sr`` value exactly as received (still percent-encoded);
            the signature is computed over this text (§9.4 step 4).
        resource_uri: ``raw_sr`` percent-decoded.
        signature: base64 signature, percent-decoded (hidden from ``repr``).
        expires_at: ``se``, seconds since the epoch.
        key_name: ``skn``, the authorization rule name, percent-decoded.
        raw_se: the ``se`` value exactly as received (part of the signed text).
        raw_sig: the ``sig`` value as received (hidden from ``repr``).
    """

    raw_sr: str
    resource_uri: str
    signature: str = field(repr=False)
    expires_at: int
    key_name: str
    raw_se: str = ""
    raw_sig: str = field(default="", repr=False)


def _sign(string_to_sign: str, key: str) -> str:
    """base64(HMAC-SHA256(UTF-8 key text, UTF-8 string)) — §9.3 step 4."""
    digest = hmac.new(key.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def build_sas_token(resource_uri: str, key_name: str, key: str, *, expires_at: int) -> str:
    """Build a SAS token exactly as §9.3 describes.

    Args:
        resource_uri: what the token covers, e.g. ``http://ns/hc`` (see
            :meth:`HybridConnectionAddress.sas_resource_uri`) or the
            namespace root for a namespace-wide token.
        key_name: the authorization rule (``skn``).
        key: the key **as text** — it is not base64-decoded (§9.3 step 4).
        expires_at: ``se``, integer seconds since the epoch.

    Returns:
        ``SharedAccessSignature sr=…&sig=…&se=…&skn=…``.

    Raises:
        InvalidField: the resource URI, the key name or the key is not text
            (``field`` ``"resource_uri"``, ``"sas_key_name"`` or ``"sas_key"``;
            the reason never quotes the key).
    """
    for field_name, what, value in (
        ("resource_uri", "the resource URI", resource_uri),
        ("sas_key_name", "the SAS key name", key_name),
        ("sas_key", "the SAS key", key),
    ):
        if not is_text(value):
            raise InvalidField(field=field_name, reason=f"{what} {NOT_TEXT}")
    encoded_uri = quote(resource_uri, safe="")
    signature = _sign(f"{encoded_uri}\n{expires_at}", key)
    return (
        f"{SAS_KEYWORD} sr={encoded_uri}&sig={quote(signature, safe='')}"
        f"&se={expires_at}&skn={quote(key_name, safe='')}"
    )


def _malformed(reason: str) -> InvalidTokenFormat:
    return InvalidTokenFormat(field="token", reason=reason)


def _split_fields(body: str) -> dict[str, str]:
    """Split ``a=1&b=2`` on ``&`` then on the first ``=`` (§9.2).

    Empty segments are skipped; unknown fields are ignored (tolerant, like the
    SDK parsers); a repeated field is refused because it would be ambiguous.
    """
    values: dict[str, str] = {}
    for segment in body.split("&"):
        if not segment:
            continue
        name, sep, value = segment.partition("=")
        if not sep:
            raise _malformed("a part of the token has no '='")
        name = name.lower()
        if name in _FIELDS:
            if name in values:
                raise _malformed(f"the token has more than one {name!r} field")
            values[name] = value
    return values


def parse_sas_token(text: str) -> SasToken:
    """Parse a SAS token (§9.2) without checking its signature.

    The text is split on whitespace into exactly two parts; the first must be
    ``SharedAccessSignature`` (any case). ``sr`` is kept encoded in
    :attr:`SasToken.raw_sr`; other values are percent-decoded. All four fields
    ``sr``, ``sig``, ``se``, ``skn`` are required; ``se`` must be an integer.

    Raises:
        InvalidTokenFormat: with ``field="token"``; the reason never quotes
            the signature.
    """
    if not isinstance(text, str):
        raise _malformed("the token must be text")
    if not is_text(text):
        raise _malformed(f"the token {NOT_TEXT}")
    parts = text.split()
    if len(parts) != 2 or parts[0].lower() != SAS_KEYWORD.lower():
        raise _malformed(f"a SAS token looks like '{SAS_KEYWORD} sr=…&sig=…&se=…&skn=…'")
    values = _split_fields(parts[1])
    missing = [name for name in _FIELDS if not values.get(name)]
    if missing:
        raise _malformed(f"the token lacks the field(s) {', '.join(missing)}")
    if not _SE_RE.match(values["se"]):
        raise _malformed("the token expiry 'se' is not a whole number of seconds")
    return SasToken(
        raw_sr=values["sr"],
        resource_uri=unquote(values["sr"]),
        signature=unquote(values["sig"]),
        expires_at=int(values["se"]),
        key_name=unquote(values["skn"]),
        raw_se=values["se"],
        raw_sig=values["sig"],
    )


def verify_sas_token(
    text: str,
    *,
    keys: Callable[[str], Sequence[str]],
    namespace_host: str,
    entity_path: str,
    now: float,
) -> SasToken:
    """Validate a SAS token like the service does (§9.4).

    Steps: parse; ``now >= se`` → expired; look up the rule's keys; HMAC over
    the **raw** ``sr`` text + ``"\\n"`` + raw ``se`` with each key,
    constant-time compare; the decoded ``sr`` must name this namespace (host
    compared case-insensitively; scheme and port ignored) and its path must be
    empty or a segment-wise, case-insensitive prefix of ``entity_path``.

    Rights (Listen/Send, step 6) are not checked here: the caller knows the
    rule's rights and answers 403.

    Args:
        text: the token as received.
        keys: ``keys(key_name)`` → candidate keys (primary, secondary) or an
            empty sequence when no such rule applies to this entity.
        namespace_host: the namespace host (a ``:port`` is ignored).
        entity_path: the hybrid connection addressed, e.g. ``demo``.
        now: current time, seconds since the epoch.

    Returns:
        The parsed token.

    Raises:
        TokenRejected: always status 401, code ``MalformedToken``,
            ``TokenExpired``, ``UnknownKeyName``, ``InvalidSignature`` or
            ``InvalidAudience``.
    """
    try:
        token = parse_sas_token(text)
    except InvalidTokenFormat as exc:
        raise TokenRejected(
            401, "MalformedToken", f"The token is missing or malformed: {exc.reason}"
        ) from None
    if now >= token.expires_at:
        raise TokenRejected(
            401,
            "TokenExpired",
            f"The token is expired. Expiration time: {_format_time(token.expires_at)}",
        )
    _check_signature(token, keys(token.key_name))
    _check_audience(token, namespace_host, entity_path)
    return token


def _format_time(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{seconds} (seconds since the epoch)"


def _check_signature(token: SasToken, candidates: Sequence[str]) -> None:
    """Compare the token's signature with the HMAC under each key (§9.4 step 4).

    The received ``sig`` is decoded with ``unquote`` and, as a fallback, with
    ``unquote_plus``: a ``+`` left unencoded stays ``+`` with the first, and a
    client that encoded a space-free base64 with ``+``→space never exists, but
    accepting both costs nothing and mirrors the protocol note.
    """
    if not candidates:
        raise TokenRejected(
            401,
            "UnknownKeyName",
            f"The authorization rule {token.key_name!r} does not exist on this "
            "hybrid connection or its namespace.",
        )
    received = {unquote(token.raw_sig), unquote_plus(token.raw_sig)}
    received_bytes = [value.encode("utf-8") for value in received]
    string_to_sign = f"{token.raw_sr}\n{token.raw_se}"
    for key in candidates:
        expected = _sign(string_to_sign, key).encode("ascii")
        # Evaluate every comparison (no short-circuit) to stay constant-time.
        matches = [hmac.compare_digest(expected, value) for value in received_bytes]
        if any(matches):
            return
    raise invalid_signature()


def _host_only(netloc: str) -> str:
    """Lower-case host of ``host[:port]``, ``[v6][:port]`` or a bare IPv6."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1:].partition("]")[0]
    if netloc.count(":") == 1:
        return netloc.partition(":")[0]
    return netloc


def resource_host_and_path(resource_uri: str) -> tuple[str, str]:
    """Lower-case host and path (no outer slashes) of a decoded ``sr`` (§9.3).

    The SDKs sign different forms (``http://host/hc/``, ``sb://host/hc``,
    ``host/hc``): scheme, port, query and fragment are ignored.
    """
    uri = resource_uri.strip()
    scheme_end = uri.find("://")
    if scheme_end >= 0:
        uri = uri[scheme_end + 3 :]
    uri = re.split(r"[?#]", uri, maxsplit=1)[0]
    netloc, _, path = uri.partition("/")
    return _host_only(netloc), path.strip("/")


def invalid_signature() -> TokenRejected:
    """The 401 for a token whose signature does not verify (§9.4 step 4, §10.4)."""
    return TokenRejected(401, "InvalidSignature", "The token has an invalid signature.")


def wrong_audience() -> TokenRejected:
    """The 401 for a token whose ``sr`` (or ``aud``) is not this entity (§9.4 step 5)."""
    return TokenRejected(
        401,
        "InvalidAudience",
        "The authorization header contains a token with a wrong audience.",
    )


def _check_audience(token: SasToken, namespace_host: str, entity_path: str) -> None:
    """``sr`` must name this namespace and cover ``entity_path`` (§9.4 step 5)."""
    host, path = resource_host_and_path(token.resource_uri)
    wrong = wrong_audience()
    if host != _host_only(namespace_host):
        raise wrong
    sr_path = path.strip("/").lower()
    if not sr_path:
        return
    sr_segments = sr_path.split("/")
    entity_segments = entity_path.strip("/").lower().split("/")
    if entity_segments[: len(sr_segments)] != sr_segments:
        raise wrong
