"""SAS token build / parse / verify (protocol §9.2–§9.4)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.errors import InvalidField, InvalidTokenFormat, TokenRejected
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.sas import SasToken, build_sas_token, parse_sas_token, verify_sas_token
from relaydesk.protocol.text import NOT_TEXT, is_text
from tests.hostile_text import hostile_text, pieces_and_hostile_text

DATA: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "sas_vectors.json").read_text("utf-8")
)
KEY: str = DATA["key"]
KEY_NAME: str = DATA["key_name"]
SE: int = DATA["expires_at"]
NOW = SE - 100.0


def independent_signature(raw_sr: str, se: str, key: str) -> str:
    """§9.3 step 4 written from the algorithm text, not from relaydesk."""
    message = (raw_sr + "\n" + se).encode("utf-8")
    digest = hmac.new(key.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def token_for(raw_sr: str, *, key: str = KEY, se: int = SE, key_name: str = KEY_NAME) -> str:
    """A token for a raw (already encoded) sr, signed independently."""
    sig = quote(independent_signature(raw_sr, str(se), key), safe="")
    return f"SharedAccessSignature sr={raw_sr}&sig={sig}&se={se}&skn={key_name}"


def keys_for(name: str) -> list[str]:
    return ["other-primary", KEY] if name == KEY_NAME else []


# --- build ----------------------------------------------------------------------


@pytest.mark.parametrize("vector", DATA["fixed"], ids=lambda v: v["raw_sr"])
def test_fixed_vectors_match_openssl(vector: dict[str, Any]) -> None:
    assert independent_signature(vector["raw_sr"], str(SE), KEY) == vector["signature"]


def test_build_matches_fixed_token() -> None:
    vector = DATA["fixed"][0]
    token = build_sas_token(vector["resource_uri"], KEY_NAME, KEY, expires_at=SE)
    assert token == vector["token"]


def test_build_encodes_every_reserved_character() -> None:
    token = build_sas_token("sb://ns/a b/é?x=1", "my rule&x", "key", expires_at=5)
    parsed = parse_sas_token(token)
    assert parsed.raw_sr == "sb%3A%2F%2Fns%2Fa%20b%2F%C3%A9%3Fx%3D1"
    assert parsed.resource_uri == "sb://ns/a b/é?x=1"
    assert parsed.key_name == "my rule&x"
    assert parsed.signature == independent_signature(parsed.raw_sr, "5", "key")
    assert "/" not in token.split("sig=", 1)[1].split("&", 1)[0]


def test_key_is_used_as_text_not_base64_decoded() -> None:
    key = "AAAA"  # valid base64; decoding it would give b"\x00\x00\x00"
    parsed = parse_sas_token(build_sas_token("http://ns/h", "r", key, expires_at=1))
    digest = hmac.new(b"AAAA", f"{parsed.raw_sr}\n1".encode(), hashlib.sha256).digest()
    assert parsed.signature == base64.b64encode(digest).decode()


def test_address_resource_uri_token_verifies() -> None:
    address = HybridConnectionAddress.parse("127.0.0.1:8443/demo")
    token = build_sas_token(address.sas_resource_uri(), KEY_NAME, KEY, expires_at=SE)
    verified = verify_sas_token(
        token, keys=keys_for, namespace_host=address.namespace, entity_path="demo", now=NOW
    )
    assert verified.key_name == KEY_NAME


# --- parse ----------------------------------------------------------------------


def test_parse_fields() -> None:
    token = parse_sas_token(DATA["fixed"][0]["token"])
    assert token.raw_sr == DATA["fixed"][0]["raw_sr"]
    assert token.resource_uri == DATA["fixed"][0]["resource_uri"]
    assert token.signature == DATA["fixed"][0]["signature"]
    assert token.expires_at == SE
    assert token.key_name == KEY_NAME


def test_parse_tolerates_order_case_spacing_and_unknown_fields() -> None:
    text = "  sharedaccesssignature\tSIG=abc%3D&&se=12&skn=r%20x&extra=1&sr=http%3a%2f%2fns  "
    token = parse_sas_token(text)
    assert (token.raw_sr, token.signature, token.expires_at, token.key_name) == (
        "http%3a%2f%2fns",
        "abc=",
        12,
        "r x",
    )


@pytest.mark.parametrize("text", DATA["malformed"])
def test_parse_malformed(text: str) -> None:
    with pytest.raises(InvalidTokenFormat) as info:
        parse_sas_token(text)
    assert info.value.field == "token"


def test_parse_refuses_non_text() -> None:
    with pytest.raises(InvalidTokenFormat):
        parse_sas_token(None)  # type: ignore[arg-type]


def test_repr_and_errors_hide_the_signature() -> None:
    vector = DATA["fixed"][0]
    token = parse_sas_token(vector["token"])
    assert vector["signature"] not in repr(token)
    assert quote(vector["signature"], safe="") not in repr(token)
    secret_sig = "TOPSECRETSIG"
    with pytest.raises(InvalidTokenFormat) as info:
        parse_sas_token(f"SharedAccessSignature sig={secret_sig}&se=x&skn=r&sr=a")
    assert secret_sig not in str(info.value)


# --- verify ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", DATA["shapes"], ids=lambda s: s["name"])
def test_every_sdk_shape_verifies(shape: dict[str, Any]) -> None:
    token = verify_sas_token(
        token_for(shape["raw_sr"]),
        keys=keys_for,
        namespace_host=shape["namespace_host"],
        entity_path=shape["entity_path"],
        now=NOW,
    )
    assert isinstance(token, SasToken)
    assert token.raw_sr == shape["raw_sr"]


@pytest.mark.parametrize("shape", DATA["wrong_audience"], ids=lambda s: s["name"])
def test_wrong_audience_is_401(shape: dict[str, Any]) -> None:
    with pytest.raises(TokenRejected) as info:
        verify_sas_token(
            token_for(shape["raw_sr"]),
            keys=keys_for,
            namespace_host=shape["namespace_host"],
            entity_path=shape["entity_path"],
            now=NOW,
        )
    assert (info.value.status, info.value.code) == (401, "InvalidAudience")
    assert "wrong audience" in info.value.message


def _verify(text: str, *, now: float = NOW, entity: str = "hyco") -> SasToken:
    return verify_sas_token(
        text,
        keys=keys_for,
        namespace_host="contoso.servicebus.windows.net",
        entity_path=entity,
        now=now,
    )


SR = DATA["fixed"][0]["raw_sr"]


def test_expiry_boundary() -> None:
    assert _verify(token_for(SR), now=SE - 0.001).expires_at == SE
    with pytest.raises(TokenRejected) as info:
        _verify(token_for(SR), now=SE)
    assert (info.value.status, info.value.code) == (401, "TokenExpired")
    assert "2023-11-14 22:13:20 UTC" in info.value.message


def test_absurd_expiry_still_reports() -> None:
    with pytest.raises(TokenRejected) as info:
        _verify(token_for(SR, se=10**19), now=1e30)
    assert info.value.code == "TokenExpired"


def test_unknown_rule_is_401() -> None:
    with pytest.raises(TokenRejected) as info:
        _verify(token_for(SR, key_name="nope"))
    assert (info.value.status, info.value.code) == (401, "UnknownKeyName")


def test_wrong_key_is_invalid_signature() -> None:
    with pytest.raises(TokenRejected) as info:
        _verify(token_for(SR, key="wrong-key"))
    assert (info.value.status, info.value.code) == (401, "InvalidSignature")
    assert info.value.message == "The token has an invalid signature."


def test_secondary_key_accepted() -> None:
    token = token_for(SR, key="other-primary")
    assert _verify(token).key_name == KEY_NAME


def test_tampered_fields_break_the_signature() -> None:
    good = token_for(SR)
    with pytest.raises(TokenRejected, match="InvalidSignature"):
        _verify(good.replace(f"se={SE}", f"se={SE + 1}"))
    # Re-encoding sr with lower-case hex changes the signed text.
    with pytest.raises(TokenRejected, match="InvalidSignature"):
        _verify(good.replace("%3A%2F%2F", "%3a%2f%2f"))


def test_signature_with_unencoded_plus_is_tolerated() -> None:
    signature = DATA["fixed"][0]["signature"]
    assert "+" in signature
    raw_sig = signature.replace("=", "%3D")  # '+' and '/' left as they are
    text = f"SharedAccessSignature sr={SR}&sig={raw_sig}&se={SE}&skn={KEY_NAME}"
    assert _verify(text).signature == signature


def test_signature_with_non_ascii_does_not_crash() -> None:
    text = f"SharedAccessSignature sr={SR}&sig=%C3%A9&se={SE}&skn={KEY_NAME}"
    with pytest.raises(TokenRejected, match="InvalidSignature"):
        _verify(text)


def test_malformed_is_401() -> None:
    with pytest.raises(TokenRejected) as info:
        _verify("Bearer secretjwt")
    assert (info.value.status, info.value.code) == (401, "MalformedToken")
    assert "secretjwt" not in str(info.value)


def test_rejections_never_contain_token_material() -> None:
    text = token_for(SR, key="wrong-key")
    sig = text.split("sig=", 1)[1].split("&", 1)[0]
    for bad in (text, text.replace(f"se={SE}", "se=1")):
        with pytest.raises(TokenRejected) as info:
            _verify(bad)
        assert sig not in str(info.value) and sig not in repr(info.value)


# --- properties ---------------------------------------------------------------------

_TOKENISH = st.lists(
    st.sampled_from(
        ["SharedAccessSignature ", "sr=", "sig=", "se=", "skn=", "&", "=", "%", "%2", "1", "a", " "]
    ),
    max_size=20,
).map("".join)


@given(st.one_of(st.text(), _TOKENISH))
def test_parse_any_text(text: str) -> None:
    try:
        token = parse_sas_token(text)
    except InvalidTokenFormat as exc:
        assert exc.field == "token"
        return
    assert token.raw_sr and token.signature and token.key_name
    assert token.expires_at >= 0


@given(st.one_of(st.text(), _TOKENISH), st.floats(allow_nan=False))
def test_verify_any_text_raises_only_token_rejected(text: str, now: float) -> None:
    try:
        _verify(text, now=now)
    except TokenRejected as exc:
        assert exc.status == 401
    else:  # pragma: no cover - random text never carries a valid HMAC
        pytest.fail("random text verified")


@given(
    st.text(min_size=1),
    st.text(min_size=1),
    st.text(min_size=1),
    st.integers(min_value=0, max_value=2**40),
)
def test_build_parse_round_trip(uri: str, key_name: str, key: str, se: int) -> None:
    token = parse_sas_token(build_sas_token(uri, key_name, key, expires_at=se))
    assert token.resource_uri == uri
    assert token.key_name == key_name
    assert token.expires_at == se
    assert token.signature == independent_signature(quote(uri, safe=""), str(se), key)


# --- hostile and odd text: a value or a typed error, never UnicodeError --------------


def test_a_non_utf8_byte_in_sig_with_a_real_rule_name_is_a_401() -> None:
    """What aiohttp makes of ``sig=\\xff\\xfe`` in a header: lone surrogates."""
    good = token_for(SR)
    bad = good.replace("sig=", "sig=\udcff\udcfe", 1)
    with pytest.raises(TokenRejected) as info:
        _verify(bad)
    assert (info.value.status, info.value.code) == (401, "MalformedToken")


_SAS_PIECES = [
    "SharedAccessSignature ",
    "sr=",
    "sig=",
    "se=",
    "skn=",
    "&",
    "=",
    "%FF",
    "%2",
    "1",
    SR,
    KEY_NAME,
    "\udcff",
]


_sas_shaped = st.builds(
    "SharedAccessSignature sr={}&sig={}&se={}&skn={}".format,
    st.sampled_from([SR, "http%3A%2F%2Fcontoso.servicebus.windows.net"]) | hostile_text(),
    hostile_text(),
    st.sampled_from([str(SE), "1", "x"]),
    st.sampled_from([KEY_NAME]) | hostile_text(),
)


@settings(max_examples=60, deadline=None)
@given(st.one_of(hostile_text(), pieces_and_hostile_text(_SAS_PIECES), _sas_shaped))
def test_parse_and_verify_hostile_text(text: str) -> None:
    try:
        token = parse_sas_token(text)
    except InvalidTokenFormat as exc:
        assert exc.field == "token" and exc.reason
    else:
        assert is_text(token.raw_sr + token.signature + token.key_name)
    with pytest.raises(TokenRejected) as info:
        _verify(text)
    assert info.value.status == 401


@settings(max_examples=60, deadline=None)
@given(hostile_text(min_size=1), hostile_text(min_size=1), hostile_text(min_size=1))
def test_build_hostile_text_returns_an_ascii_token_or_invalid_field(
    uri: str, key_name: str, key: str
) -> None:
    inputs = {"resource_uri": uri, "sas_key_name": key_name, "sas_key": key}
    try:
        token = build_sas_token(uri, key_name, key, expires_at=SE)
    except InvalidField as exc:
        assert not is_text(inputs[exc.field])
        assert exc.reason.startswith("the ") and exc.reason.endswith(NOT_TEXT)  # no key echoed
        return
    assert token.isascii() and parse_sas_token(token).key_name == key_name
