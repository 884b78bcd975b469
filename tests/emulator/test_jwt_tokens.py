"""Tests for relaydesk.emulator.jwt_tokens: minting, and every way JwtValidator says no (§13)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from relaydesk.emulator.jwt_tokens import RELAY_AUDIENCE, JwtValidator, issue_token_for, v1_issuer
from relaydesk.emulator.world import load_world
from relaydesk.errors import EmulatorError, TokenRejected


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _validator(tmp_path: Path, now: float = 1_800_000_000.0) -> tuple[JwtValidator, Any, Clock]:
    world = load_world(tmp_path)
    clock = Clock(now)
    return JwtValidator(world, leeway=5.0, now=clock), world, clock


def test_validator_accepts_and_respects_expiry(tmp_path: Path) -> None:
    validator, world, clock = _validator(tmp_path)
    token = issue_token_for(world, "listener", lifetime=60, now=clock.now)
    principal = validator.validate(token)
    assert principal.expires_at == clock.now + 60
    assert principal.tenant_id == world.tenant_id
    clock.now += 64  # inside the skew
    validator.validate(token)
    clock.now += 1
    with pytest.raises(TokenRejected) as info:
        validator.validate(token)
    assert (info.value.status, info.value.code) == (401, "TokenExpired")
    assert "The token is expired" in info.value.message


def test_validator_not_yet_valid(tmp_path: Path) -> None:
    validator, world, clock = _validator(tmp_path)
    token = issue_token_for(world, "listener", now=clock.now + 60)
    with pytest.raises(TokenRejected) as info:
        validator.validate(token)
    assert info.value.code == "TokenNotYetValid"


def test_validator_accepts_trailing_slash_audience(tmp_path: Path) -> None:
    validator, world, clock = _validator(tmp_path)
    validator.validate(
        issue_token_for(world, "owner", now=clock.now, audience=RELAY_AUDIENCE + "/")
    )


def _forged_hs256(world: Any, clock: Clock) -> str:
    good = issue_token_for(world, "owner", now=clock.now)
    claims = jwt.decode(good, options={"verify_signature": False})
    return jwt.encode(
        claims,
        "a-shared-secret-of-32-bytes-or-more!!",
        algorithm="HS256",
        headers={"kid": world.signing_key.kid},
    )


def _unsigned(world: Any, clock: Clock) -> str:
    good = issue_token_for(world, "owner", now=clock.now)
    _, payload, _ = good.split(".")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    return f"{none_header}.{payload}."


def _other_kid(world: Any, clock: Clock) -> str:
    good = issue_token_for(world, "owner", now=clock.now)
    claims = jwt.decode(good, options={"verify_signature": False})
    return jwt.encode(
        claims, world.signing_key.private_key, algorithm="RS256", headers={"kid": "x"}
    )


def _missing_oid(world: Any, clock: Clock) -> str:
    good = issue_token_for(world, "owner", now=clock.now)
    claims = jwt.decode(good, options={"verify_signature": False})
    del claims["oid"]
    return jwt.encode(
        claims,
        world.signing_key.private_key,
        algorithm="RS256",
        headers={"kid": world.signing_key.kid},
    )


OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
REJECTIONS: list[tuple[str, Any, str]] = [
    (
        "other key",
        lambda w, c: issue_token_for(w, "owner", now=c.now, signing_key=OTHER_KEY),
        "InvalidSignature",
    ),
    ("hs256 forgery", _forged_hs256, "InvalidSignature"),
    ("alg none", _unsigned, "InvalidSignature"),
    ("unknown kid", _other_kid, "InvalidSignature"),
    (
        "graph audience",
        lambda w, c: issue_token_for(w, "owner", now=c.now, audience="https://graph.microsoft.com"),
        "InvalidAudience",
    ),
    (
        "v2 issuer",
        lambda w, c: issue_token_for(
            w, "owner", now=c.now, issuer=f"https://login.microsoftonline.com/{w.tenant_id}/v2.0"
        ),
        "InvalidIssuer",
    ),
    (
        "other tenant",
        lambda w, c: issue_token_for(
            w, "owner", now=c.now, tenant_id="11111111-1111-1111-1111-111111111111"
        ),
        "InvalidIssuer",
    ),
    (
        "tid mismatch",
        lambda w, c: issue_token_for(
            w,
            "owner",
            now=c.now,
            issuer=v1_issuer(w.tenant_id),
            tenant_id="11111111-1111-1111-1111-111111111111",
        ),
        "InvalidTenant",
    ),
    ("missing oid", _missing_oid, "MalformedToken"),
    ("garbage", lambda w, c: "abc.def.ghi", "MalformedToken"),
    ("two parts", lambda w, c: "abc.def", "MalformedToken"),
    ("huge", lambda w, c: "a." + "b" * 20000 + ".c", "MalformedToken"),
]


@pytest.mark.parametrize(
    ("make", "code"), [r[1:] for r in REJECTIONS], ids=[r[0] for r in REJECTIONS]
)
def test_validator_rejections(tmp_path: Path, make: Any, code: str) -> None:
    validator, world, clock = _validator(tmp_path)
    token = make(world, clock)
    with pytest.raises(TokenRejected) as info:
        validator.validate(token)
    assert (info.value.status, info.value.code) == (401, code)
    assert token not in str(info.value)
    if code == "InvalidAudience":
        assert str(info.value) == (
            "401 InvalidAudience: The authorization header contains a token with a wrong audience."
        )


def test_issue_token_for_unknown_identity(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="unknown identity"):
        issue_token_for(load_world(tmp_path), "ghost")
