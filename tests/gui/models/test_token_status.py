"""token_status(): level ok → warn → expired with words, not colour alone."""

from __future__ import annotations

import pytest

from relaydesk.gui.models.formatting import format_clock
from relaydesk.gui.models.token_status import (
    claim_rows,
    expiry_text,
    identity_text,
    sign_in_text,
    token_status,
    warn_threshold,
)
from relaydesk.relay.events import TokenInfo

NOW = 1_800_000_000.0


def _token(remaining: float, **claims: object) -> TokenInfo:
    return TokenInfo(kind="entra", identity="listener", expires_at=NOW + remaining, claims=claims)


@pytest.mark.parametrize(
    ("remaining", "level", "text"),
    [
        (3000, "ok", "Expires in 50:00"),
        (300, "ok", "Expires in 05:00"),
        (291, "warn", "Expiring soon: 04:51"),
        (1, "warn", "Expiring soon: 00:01"),
        (0, "expired", "Expired"),
        (-10, "expired", "Expired"),
    ],
)
def test_levels_and_texts(remaining: float, level: str, text: str) -> None:
    status = token_status(_token(remaining), NOW)
    assert (status.level, status.text) == (level, text)


@pytest.mark.parametrize(
    ("lifetime", "remaining", "level"),
    [
        (3600, 299, "warn"),  # ordinary tokens: five minutes
        (180, 120, "ok"),  # a 3-minute demo token is not "expiring" at once
        (180, 91, "ok"),
        (180, 89, "warn"),  # below half its lifetime: renewal is due
    ],
)
def test_short_tokens_warn_at_half_their_lifetime(
    lifetime: float, remaining: float, level: str
) -> None:
    info = _token(remaining, iat=NOW + remaining - lifetime)
    assert token_status(info, NOW).level == level


def test_warn_threshold() -> None:
    assert warn_threshold(0) == 300
    assert warn_threshold(3600) == 300
    assert warn_threshold(180) == 90


def test_no_token_and_anonymous() -> None:
    assert token_status(None, NOW).level == "none"
    anonymous = TokenInfo(kind="anonymous", identity="", expires_at=None)
    status = token_status(anonymous, NOW)
    assert (status.level, status.remaining, status.fraction) == ("ok", None, 1.0)


def test_fraction_uses_iat_claim_then_issued_at() -> None:
    assert token_status(_token(900, iat=NOW - 2700), NOW).fraction == pytest.approx(0.25)
    assert token_status(_token(600), NOW, issued_at=NOW - 600).fraction == pytest.approx(0.5)
    assert token_status(_token(600), NOW).fraction == 1.0


def test_identity_and_expiry_text() -> None:
    assert identity_text(_token(10)) == "Entra ID app · listener"
    assert identity_text(None) == "No token"
    person = TokenInfo(
        kind="entra",
        identity="ann@contoso.example",
        expires_at=NOW + 10,
        claims={"idtyp": "user", "tid": "t-1", "scp": "user_impersonation"},
    )
    assert identity_text(person) == "Entra ID user · ann@contoso.example · tenant t-1"
    assert ("scp", "user_impersonation") in claim_rows(person)
    assert expiry_text(_token(10)) == f"Valid until {format_clock(NOW + 10)}"
    assert expiry_text(None) == ""
    # A person's sign-in has no knowable end: the time is the access token's, said so.
    assert expiry_text(person) == f"Token valid until {format_clock(NOW + 10)}"
    session = sign_in_text(person)
    assert session.startswith("Signed in as ann@contoso.example; the session renews silently")
    assert "until Entra asks again" in session
    assert sign_in_text(_token(10)) == "" and sign_in_text(None) == ""


def test_claim_rows_are_allow_listed_and_times_readable() -> None:
    token = _token(
        10,
        aud="https://relay.azure.net",
        roles=["Listen", "Send"],
        exp=NOW + 10,
        secret_extra="nope",
    )
    rows = dict(claim_rows(token))
    assert rows["aud"] == "https://relay.azure.net"
    assert rows["roles"] == "Listen, Send"
    assert rows["exp"] == f"{format_clock(NOW + 10)} ({int(NOW + 10)})"
    assert "secret_extra" not in rows


def test_sas_claims() -> None:
    token = TokenInfo(
        kind="sas",
        identity="root",
        expires_at=NOW,
        claims={"sr": "http://ns/demo", "skn": "root", "se": str(int(NOW)), "sig": "S"},
    )
    assert [name for name, _ in claim_rows(token)] == ["sr", "skn", "se"]
