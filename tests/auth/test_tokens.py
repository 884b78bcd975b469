"""relaydesk.auth.tokens: AccessToken and claims decoding (display only, untrusted)."""

from __future__ import annotations

import math
from types import MappingProxyType

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.auth.tokens import (
    JWT_DISPLAY_CLAIMS,
    AccessToken,
    decode_jwt_claims,
    decode_sas_claims,
)
from relaydesk.errors import InvalidTokenFormat
from relaydesk.protocol.sas import build_sas_token
from relaydesk.relay.events import TokenInfo
from relaydesk.secrets import Secret
from tests.hostile_text import hostile_text, pieces_and_hostile_text

CLAIMS = {
    "aud": "https://relay.azure.net",
    "iss": "https://sts.windows.net/11111111-2222-3333-4444-555555555555/",
    "tid": "11111111-2222-3333-4444-555555555555",
    "appid": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    "oid": "99999999-8888-7777-6666-555555555555",
    "roles": ["Relay.Listen", "Relay.Send"],
    "iat": 1_800_000_000,
    "nbf": 1_800_000_000,
    "exp": 1_800_003_600,
    "uti": "opaque-value",
    "aio": "opaque-too",
}


def _jwt(claims: dict[str, object]) -> str:
    # Signed with a key the decoder never sees: decoding must not verify.
    return jwt.encode(claims, "some-signing-key-not-known-to-the-client-32b", algorithm="HS256")


def test_jwt_claims_keep_only_display_claims_without_verifying() -> None:
    claims = decode_jwt_claims(_jwt(CLAIMS))
    assert claims["aud"] == "https://relay.azure.net"
    assert claims["appid"] == CLAIMS["appid"]
    assert claims["roles"] == ("Relay.Listen", "Relay.Send")
    assert claims["exp"] == 1_800_003_600
    assert "uti" not in claims and "aio" not in claims
    assert isinstance(claims, MappingProxyType)


def test_expired_jwt_still_decodes_for_display() -> None:
    claims = decode_jwt_claims(_jwt({**CLAIMS, "exp": 1, "nbf": 1, "iat": 1}))
    assert claims["exp"] == 1


@pytest.mark.parametrize("text", ["", "not-a-jwt", "a.b.c", "SharedAccessSignature sr=x"])
def test_non_jwt_text_is_invalid_token_format(text: str) -> None:
    with pytest.raises(InvalidTokenFormat) as info:
        decode_jwt_claims(text)
    assert info.value.field == "token"
    if text:
        assert text not in info.value.reason


def test_sas_claims_are_decoded() -> None:
    token = build_sas_token("http://ns.example.net/a/b", "send-only", "key", expires_at=1234567890)
    claims = decode_sas_claims(token)
    assert dict(claims) == {"sr": "http://ns.example.net/a/b", "skn": "send-only", "se": 1234567890}


def test_access_token_repr_and_info_never_show_the_value() -> None:
    raw = _jwt(CLAIMS)
    token = AccessToken(
        value=Secret(raw),
        expires_at=1_800_003_600.0,
        kind="entra",
        identity=CLAIMS["appid"],  # type: ignore[arg-type]
        from_cache=True,
        claims=decode_jwt_claims(raw),
    )
    assert raw not in repr(token) and raw not in str(token)
    assert "2027-01-15" in repr(token)
    info = token.info()
    assert isinstance(info, TokenInfo)
    assert info == TokenInfo(
        kind="entra",
        identity=CLAIMS["appid"],  # type: ignore[arg-type]
        expires_at=1_800_003_600.0,
        claims=token.claims,
        from_cache=True,
    )
    assert raw not in repr(info)


def test_validity_helpers() -> None:
    token = AccessToken(Secret("x"), expires_at=1000.0, kind="sas", identity="rule")
    assert token.remaining(400.0) == 600.0
    assert token.valid_for(600.0, 400.0)
    assert not token.valid_for(600.1, 400.0)
    assert dict(token.claims) == {}


def test_anonymous_token_info_has_no_expiry() -> None:
    token = AccessToken(Secret(""), expires_at=math.inf, kind="anonymous", identity="anonymous")
    assert token.is_anonymous
    assert token.info().expires_at is None
    assert "never" in repr(token)


def test_access_token_is_frozen() -> None:
    token = AccessToken(Secret("x"), expires_at=1.0, kind="sas", identity="rule")
    with pytest.raises(AttributeError):
        token.expires_at = 2.0  # type: ignore[misc]


# --- hostile and odd text: claims or InvalidTokenFormat ------------------------------


def test_a_jwt_holding_a_lone_surrogate_is_invalid_token_format() -> None:
    with pytest.raises(InvalidTokenFormat):
        decode_jwt_claims("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.\udcff")


_JWT_PIECES = [
    ".",
    "eyJhbGciOiJub25lIn0",
    "eyJhbGciOiJSUzI1NiJ9",
    "eyJzdWIiOiJ4In0",
    "e30",
    "W10",
    "WwogWwogWwo",
    "-",
    "_",
    "=",
]


@settings(max_examples=60, deadline=None)
@given(st.one_of(hostile_text(), pieces_and_hostile_text(_JWT_PIECES)))
def test_hostile_text_gives_claims_or_invalid_token_format(text: str) -> None:
    for decode in (decode_jwt_claims, decode_sas_claims):
        try:
            claims = decode(text)
        except InvalidTokenFormat as exc:
            assert exc.field == "token"
            continue
        assert set(claims) <= {*JWT_DISPLAY_CLAIMS, "sr", "skn", "se"}
