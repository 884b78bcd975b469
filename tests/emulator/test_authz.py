"""Tests for relaydesk.emulator.authz: token kinds × entities × rights (§3, §9.4, §10.3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from relaydesk.emulator.authz import Authorizer, Principal, loopback_host_check
from relaydesk.emulator.entra import JwtValidator, issue_token_for
from relaydesk.emulator.world import ROLE_LISTENER, Right, World, load_world
from relaydesk.errors import TokenRejected
from relaydesk.protocol.sas import build_sas_token

NOW = 1_800_000_000.0
L, S = Right.LISTEN, Right.SEND
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return load_world(tmp_path_factory.mktemp("authz"))


@pytest.fixture
def fresh_world(tmp_path: Path) -> World:
    return load_world(tmp_path)


def _authorizer(world: World, clock: Clock | None = None) -> Authorizer:
    clock = clock or Clock()
    return Authorizer(
        world,
        namespace_host_check=loopback_host_check(["relay.lan"]),
        jwt_validator=JwtValidator(world, now=clock),
        now=clock,
    )


def _sas(
    rule: str, uri: str, *, key: str = "primary", expires: float = NOW + 3600
) -> Callable[[World], str]:
    def make(world: World) -> str:
        r = world.sas_rules.get(rule)
        secret = {"primary": r.primary_key, "secondary": r.secondary_key} if r else {}
        return build_sas_token(uri, rule, secret.get(key, "not-a-key"), expires_at=int(expires))

    return make


def _jwt(identity: str, **kwargs: object) -> Callable[[World], str]:
    def make(world: World) -> str:
        options: dict[str, object] = {"now": NOW}
        options.update(kwargs)
        return issue_token_for(world, identity, **options)  # type: ignore[arg-type]

    return make


ANON = "anonymous"
# token maker → expected result for (demo, Listen), (demo, Send), (open, Listen), (open, Send);
# a str is the principal "kind:name" (or ANON), an int the TokenRejected status.
TABLE: dict[str, tuple[Callable[[World], str | None], tuple[str | int, ...]]] = {
    "none": (lambda w: None, (401, 401, 401, ANON)),
    "empty": (lambda w: "  ", (401, 401, 401, ANON)),
    "garbage": (lambda w: "hello world", (401, 401, 401, ANON)),
    "bearer jwt": (lambda w: "Bearer " + _jwt("owner")(w), (401, 401, 401, ANON)),
    "jwt owner": (_jwt("owner"), ("entra:owner", "entra:owner", "entra:owner", ANON)),
    "jwt listener": (_jwt("listener"), ("entra:listener", 403, 403, ANON)),
    "jwt sender": (_jwt("sender"), (403, "entra:sender", 403, ANON)),
    "jwt outsider": (_jwt("outsider"), (403, 403, 403, ANON)),
    "jwt expired": (_jwt("owner", now=NOW - 7200), (401, 401, 401, ANON)),
    "jwt wrong signature": (_jwt("owner", signing_key=OTHER_KEY), (401, 401, 401, ANON)),
    "jwt wrong audience": (
        _jwt("owner", audience="https://servicebus.azure.net"),
        (401, 401, 401, ANON),
    ),
    "sas root namespace-wide": (
        _sas("RootManageSharedAccessKey", "http://127.0.0.1:9443/"),
        ("sas:RootManageSharedAccessKey",) * 3 + (ANON,),
    ),
    "sas root secondary key": (
        _sas("RootManageSharedAccessKey", "sb://localhost", key="secondary"),
        ("sas:RootManageSharedAccessKey",) * 3 + (ANON,),
    ),
    "sas root on demo": (
        _sas("RootManageSharedAccessKey", "sb://localhost/demo"),
        ("sas:RootManageSharedAccessKey", "sas:RootManageSharedAccessKey", 401, ANON),
    ),
    "sas root via [::1]": (
        _sas("RootManageSharedAccessKey", "http://[::1]:8443/demo/"),
        ("sas:RootManageSharedAccessKey", "sas:RootManageSharedAccessKey", 401, ANON),
    ),
    "sas root via extra name": (
        _sas("RootManageSharedAccessKey", "https://RELAY.lan/demo"),
        ("sas:RootManageSharedAccessKey", "sas:RootManageSharedAccessKey", 401, ANON),
    ),
    "sas root other host": (
        _sas("RootManageSharedAccessKey", "http://ns.servicebus.windows.net/demo"),
        (401, 401, 401, ANON),
    ),
    "sas listen-only": (
        _sas("listen-only", "http://127.0.0.1/demo"),
        ("sas:listen-only", 403, 401, ANON),
    ),
    "sas listen-only namespace-wide": (
        _sas("listen-only", "http://127.0.0.1/"),
        (401, 401, 401, ANON),
    ),
    "sas send-only": (
        _sas("send-only", "http://localhost/demo"),
        (403, "sas:send-only", 401, ANON),
    ),
    "sas expired": (
        _sas("RootManageSharedAccessKey", "http://127.0.0.1/", expires=NOW - 1),
        (401, 401, 401, ANON),
    ),
    "sas wrong key": (
        _sas("RootManageSharedAccessKey", "http://127.0.0.1/", key="bogus"),
        (401, 401, 401, ANON),
    ),
    "sas unknown rule": (_sas("nope", "http://127.0.0.1/"), (401, 401, 401, ANON)),
    "sas malformed": (lambda w: "SharedAccessSignature sr=x", (401, 401, 401, ANON)),
}
COLUMNS = [("demo", L), ("demo", S), ("open", L), ("open", S)]
CASES = [
    pytest.param(maker, entity, right, expected[i], id=f"{name}-{entity}-{right.value}")
    for name, (maker, expected) in TABLE.items()
    for i, (entity, right) in enumerate(COLUMNS)
]


@pytest.mark.parametrize(("maker", "entity", "right", "expected"), CASES)
def test_table(
    world: World,
    maker: Callable[[World], str | None],
    entity: str,
    right: Right,
    expected: str | int,
) -> None:
    token = maker(world)
    authorizer = _authorizer(world)
    if isinstance(expected, int):
        with pytest.raises(TokenRejected) as info:
            authorizer.authorize(token, entity, right)
        assert info.value.status == expected
        if token and token.strip():
            assert token.strip() not in str(info.value)
        return
    principal = authorizer.authorize(token, entity, right)
    assert f"{principal.kind}:{principal.name}" == expected or (
        expected == ANON and principal == Principal("anonymous", "anonymous", None)
    )


def _reject(world: World, token: str | None, entity: str, right: Right) -> TokenRejected:
    with pytest.raises(TokenRejected) as info:
        _authorizer(world).authorize(token, entity, right)
    return info.value


@pytest.mark.parametrize(
    ("maker", "entity", "right", "code", "text"),
    [
        (TABLE["none"][0], "demo", S, "MissingToken", "no authorization token"),
        (TABLE["bearer jwt"][0], "demo", L, "MalformedToken", "without the 'Bearer ' prefix"),
        (TABLE["garbage"][0], "demo", L, "MalformedToken", "missing or malformed"),
        (TABLE["jwt expired"][0], "demo", L, "TokenExpired", "expired"),
        (TABLE["jwt wrong signature"][0], "demo", L, "InvalidSignature", "invalid signature"),
        (TABLE["jwt wrong audience"][0], "demo", L, "InvalidAudience", "wrong audience"),
        (TABLE["jwt listener"][0], "demo", S, "MissingRight", "'listener' lacks Send on demo"),
        (TABLE["jwt outsider"][0], "open", L, "MissingRight", "lacks Listen on open"),
        (TABLE["sas expired"][0], "demo", L, "TokenExpired", "expired"),
        (TABLE["sas wrong key"][0], "demo", L, "InvalidSignature", "invalid signature"),
        (TABLE["sas root other host"][0], "demo", L, "InvalidAudience", "wrong audience"),
        (TABLE["sas listen-only namespace-wide"][0], "demo", L, "InvalidAudience", "audience"),
        (
            TABLE["sas listen-only"][0],
            "demo",
            S,
            "MissingRight",
            "'listen-only' lacks Send on demo",
        ),
        (TABLE["sas listen-only"][0], "open", L, "UnknownKeyName", "does not exist"),
        (TABLE["sas malformed"][0], "demo", L, "MalformedToken", "malformed"),
    ],
)
def test_rejection_codes(
    world: World,
    maker: Callable[[World], str | None],
    entity: str,
    right: Right,
    code: str,
    text: str,
) -> None:
    rejection = _reject(world, maker(world), entity, right)
    assert rejection.code == code
    assert text in rejection.message
    assert (rejection.status == 403) is (code == "MissingRight")


def test_principal_expiry(world: World) -> None:
    authorizer = _authorizer(world)
    sas = _sas("RootManageSharedAccessKey", "http://127.0.0.1/", expires=NOW + 600)(world)
    assert authorizer.authorize(sas, "demo", L).expires_at == NOW + 600
    token = issue_token_for(world, "owner", now=NOW, lifetime=900)
    assert authorizer.authorize(token, "demo", L) == Principal("entra", "owner", NOW + 900)


def test_expiry_follows_the_clock(world: World) -> None:
    clock = Clock()
    authorizer = _authorizer(world, clock)
    sas = _sas("RootManageSharedAccessKey", "http://127.0.0.1/", expires=NOW + 10)(world)
    jwt_token = issue_token_for(world, "owner", now=NOW, lifetime=10)
    authorizer.authorize(sas, "demo", L)
    authorizer.authorize(jwt_token, "demo", L)
    clock.now = NOW + 60
    for token in (sas, jwt_token):
        with pytest.raises(TokenRejected, match="TokenExpired"):
            authorizer.authorize(token, "demo", L)


def test_revoked_role_takes_effect_immediately(fresh_world: World) -> None:
    authorizer = _authorizer(fresh_world)
    token = issue_token_for(fresh_world, "listener", now=NOW)
    assert authorizer.authorize(token, "demo", L).name == "listener"
    fresh_world.revoke_role("listener", ROLE_LISTENER, "/demo")
    assert _reject(fresh_world, token, "demo", L).status == 403
    fresh_world.grant_role("listener", ROLE_LISTENER, "/")
    assert authorizer.authorize(token, "open", L).name == "listener"


def test_token_of_unknown_principal_is_forbidden(fresh_world: World) -> None:
    token = issue_token_for(fresh_world, "owner", now=NOW)
    del fresh_world.identities["owner"]
    rejection = _reject(fresh_world, token, "demo", L)
    assert (rejection.status, rejection.code) == (403, "MissingRight")


def test_entity_path_forms(world: World) -> None:
    authorizer = _authorizer(world)
    token = issue_token_for(world, "listener", now=NOW)
    assert authorizer.authorize(token, "/demo/", L).name == "listener"
    assert authorizer.authorize(token, "DEMO", L).name == "listener"
    assert authorizer.authorize(None, "/open", S).kind == "anonymous"


def test_unknown_entity_requires_a_token(world: World) -> None:
    assert _reject(world, None, "ghost", S).status == 401
    sas = _sas("RootManageSharedAccessKey", "http://127.0.0.1/")(world)
    assert _authorizer(world).authorize(sas, "ghost", S).kind == "sas"


def test_oversized_token(world: World) -> None:
    assert _reject(world, "x" * 20000, "demo", L).code == "MalformedToken"


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("127.0.0.1", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        ("relay.lan", True),
        ("10.0.0.1", False),
        ("", False),
        ("localhost.evil.example", False),
    ],
)
def test_loopback_host_check(host: str, ok: bool) -> None:
    assert loopback_host_check(["Relay.LAN"])(host) is ok
