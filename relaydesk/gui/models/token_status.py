"""What the token badge says about a token at a given time (Qt-free).

The countdown is local UI state (architecture §4.8): the core reports
``expires_at`` once, the badge re-renders every second. State is never
conveyed by colour alone: the text says "Expiring soon" / "Expired" too.
Claims are shown from a fixed allow-list, so a raw token or signature can
never reach the screen through this path.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass

from relaydesk.gui.models.formatting import format_clock, format_countdown
from relaydesk.relay.events import TokenInfo

#: "Expiring soon" below five minutes left: a listener renews by then (§4.6).
WARN_SECONDS = 300.0

JWT_CLAIMS = (
    "idtyp",
    "aud",
    "iss",
    "tid",
    "appid",
    "azp",
    "upn",
    "oid",
    "scp",
    "roles",
    "iat",
    "nbf",
    "exp",
)
SAS_CLAIMS = ("sr", "skn", "se")
_TIME_CLAIMS = frozenset({"iat", "nbf", "exp", "se"})
KIND_NAMES = {"entra": "Entra ID app", "sas": "SAS key", "anonymous": "Anonymous"}


@dataclass(frozen=True)
class TokenStatus:
    """The badge's rendering at one instant.

    Attributes:
        level: ``"none"`` (no token), ``"ok"``, ``"warn"`` (under
            :func:`warn_threshold`: 5 min, or half the lifetime of a shorter
            token), ``"expired"`` or ``"expired-open"`` (expired, but its
            connection is open and unaffected).
        text: the countdown sentence (``"Expires in 04:51"`` …).
        remaining: seconds left (``None`` when the token does not expire).
        fraction: remaining share of the lifetime, 0.0 – 1.0.
    """

    level: str
    text: str
    remaining: float | None
    fraction: float


#: Why an expired token does not matter to an open connection (the badge's tooltip).
EXPIRED_WHILE_OPEN = (
    "Azure Relay checks a token when a connection opens; an open connection outlives "
    "its token and keeps working. The next connect fetches a new token."
)


def token_status(
    info: TokenInfo | None,
    now: float,
    issued_at: float | None = None,
    *,
    connection_open: bool = False,
) -> TokenStatus:
    """Return level, countdown text and remaining fraction for ``info`` at ``now``.

    Args:
        info: the token, or ``None`` when there is none.
        now: the current time, seconds since the epoch.
        issued_at: when the lifetime started; the ``iat``/``nbf`` claim wins when present.
        connection_open: the token's connection is open. Past its expiry the level
            is then ``"expired-open"`` and the text says the connection is unaffected:
            the relay checked the token when the connection opened (§6), and an open
            rendezvous outlives it, so a red "Expired" would alarm for nothing.
    """
    if info is None:
        return TokenStatus("none", "", None, 0.0)  # the identity line says "No token"
    if info.expires_at is None:
        return TokenStatus("ok", "No expiry (anonymous)", None, 1.0)
    remaining = info.expires_at - now
    start = _claim_time(info.claims, "iat") or _claim_time(info.claims, "nbf") or issued_at
    lifetime = info.expires_at - start if start is not None else 0.0
    fraction = max(0.0, min(1.0, remaining / lifetime)) if lifetime > 0 else 1.0
    if remaining <= 0:
        if connection_open:
            return TokenStatus("expired-open", "Expired · connection unaffected", remaining, 0.0)
        return TokenStatus("expired", "Expired", remaining, 0.0)
    countdown = format_countdown(remaining)
    if remaining < warn_threshold(lifetime):
        return TokenStatus("warn", f"Expiring soon: {countdown}", remaining, fraction)
    return TokenStatus("ok", f"Expires in {countdown}", remaining, fraction)


def warn_threshold(lifetime: float) -> float:
    """Seconds left below which a token is "expiring soon".

    Five minutes, the point by which RelayDesk renews (§4.6, renewal at
    ``min(5 min, half the lifetime)`` left). A token that lives less than ten
    minutes (the emulator's demo tokens) would be "expiring soon" from its
    first second; for it the threshold is half its lifetime, which is again
    the renewal point. An unknown lifetime (0) keeps the five minutes.
    """
    if lifetime <= 0:
        return WARN_SECONDS
    return min(WARN_SECONDS, lifetime / 2)


def expiry_text(info: TokenInfo | None) -> str:
    """Return ``"Valid until 14:32:10"`` (local time) or an empty string.

    It leads the badge's second line, before the countdown ("Expires in 04:51"),
    so it names the clock time in other words than the countdown does. For a
    person it says "Token valid until …": that is the access token's end, not
    the sign-in's (see :func:`sign_in_text`).
    """
    if info is None or info.expires_at is None:
        return ""
    what = "Token valid" if _is_person(info) else "Valid"
    return f"{what} until {format_clock(info.expires_at)}"


def sign_in_text(info: TokenInfo | None) -> str:
    """For a person's token, how long the sign-in lasts; else an empty string.

    Entra does not tell a public client when its refresh token ends (a sliding
    window the tenant's policies, conditional access "sign-in frequency" and a
    revocation can all cut short), so the end of the sign-in is not knowable:
    the badge says so plainly instead of passing off the access token's expiry
    as the sign-in's.
    """
    if info is None or not _is_person(info):
        return ""
    return (
        f"Signed in as {info.identity}; the session renews silently until Entra asks "
        "again (Entra does not say when a sign-in ends). The time shown is the current "
        "access token's, renewed before it runs out."
    )


def _is_person(info: TokenInfo) -> bool:
    return info.kind == "entra" and info.claims.get("idtyp") == "user"


def identity_text(info: TokenInfo | None) -> str:
    """Return ``"Entra ID app · listener"`` for the badge's first line.

    A person's token (``idtyp`` user) reads ``"Entra ID user · ann@contoso.com ·
    tenant …"``: who signed in and in which tenant; its scopes (``scp``) are
    among the claims.
    """
    if info is None:
        return "No token"
    if _is_person(info):
        tenant = info.claims.get("tid")
        who = f"Entra ID user · {info.identity}"
        return f"{who} · tenant {tenant}" if tenant else who
    kind = KIND_NAMES.get(info.kind, info.kind)
    return f"{kind} · {info.identity}" if info.identity else kind


def claim_rows(info: TokenInfo) -> list[tuple[str, str]]:
    """Return the displayable claims as (name, value) pairs, times in local time."""
    names = SAS_CLAIMS if info.kind == "sas" else JWT_CLAIMS
    rows = []
    for name in names:
        if name in info.claims:
            rows.append((name, _claim_value(name, info.claims[name])))
    return rows


def _claim_value(name: str, value: object) -> str:
    if name in _TIME_CLAIMS:
        seconds = _as_number(value)
        if seconds is not None:
            return f"{format_clock(seconds)} ({int(seconds)})"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "(none)"
    return str(value)


def _claim_time(claims: Mapping[str, object], name: str) -> float | None:
    return _as_number(claims.get(name))


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str) and value.isdigit():
        return float(value)
    return None
