"""Tests for relaydesk.emulator.world: defaults, persistence, config, roles."""

from __future__ import annotations

import json
import re
import stat
import textwrap
from pathlib import Path

import pytest

import relaydesk.emulator.world as world_module
from relaydesk.emulator.world import (
    ROLE_LISTENER,
    ROLE_OWNER,
    ROLE_SENDER,
    SIGNING_KEY_FILE,
    STATE_FILE,
    Right,
    RoleAssignment,
    World,
    load_world,
    scope_covers,
)
from relaydesk.errors import EmulatorError

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

EXAMPLE_TOML = """
tenant_id = "6F1B2C1E-8A7B-4C1E-9D7E-0A1B2C3D4E5F"
domain = "contoso.localhost"

[[hybrid_connections]]
name = "orders/eu"

[[hybrid_connections]]
name = "public"
requires_client_authorization = false

[[identities]]
name = "app"
client_id = "11111111-2222-3333-4444-555555555555"
client_secret = "s3cr3t-value"
roles = [{ role = "Azure Relay Listener", scope = "/orders/eu" }]

[[identities]]
name = "generated"

[[sas_rules]]
name = "root"
rights = ["Manage", "Listen", "Send"]
primary_key = "cHJpbWFyeQ=="

[[sas_rules]]
name = "eu-send"
rights = ["Send"]
scope = "/orders/eu"
"""


def test_default_world(tmp_path: Path) -> None:
    world = load_world(tmp_path)
    assert GUID.match(world.tenant_id)
    assert world.domain == "relaydesk.localhost"
    hcs = {n: hc.requires_client_authorization for n, hc in world.hybrid_connections.items()}
    assert hcs == {"demo": True, "open": False}
    roles = {n: i.roles for n, i in world.identities.items()}
    assert roles == {
        "owner": (RoleAssignment(ROLE_OWNER, "/"),),
        "listener": (RoleAssignment(ROLE_LISTENER, "/demo"),),
        "sender": (RoleAssignment(ROLE_SENDER, "/demo"),),
        "outsider": (),
    }
    rules = {n: (r.rights, r.scope) for n, r in world.sas_rules.items()}
    assert rules == {
        "RootManageSharedAccessKey": (frozenset(Right), "/"),
        "listen-only": (frozenset({Right.LISTEN}), "/demo"),
        "send-only": (frozenset({Right.SEND}), "/demo"),
    }


def test_default_credentials_are_random_and_distinct(tmp_path: Path) -> None:
    a, b = load_world(tmp_path / "a"), load_world(tmp_path / "b")
    assert a.tenant_id != b.tenant_id
    ids = [i.client_id for i in a.identities.values()] + [
        i.object_id for i in a.identities.values()
    ]
    assert all(GUID.match(v) for v in ids) and len(set(ids)) == 8
    secrets = [i.client_secret for i in a.identities.values()]
    keys = [k for r in a.sas_rules.values() for k in r.keys]
    assert len(set(secrets + keys)) == 4 + 6
    assert all(len(s) >= 32 for s in secrets + keys)
    assert a.identities["owner"].client_secret != b.identities["owner"].client_secret
    assert a.signing_key.kid != b.signing_key.kid


def _fingerprint(world: World) -> object:
    return (
        world.tenant_id,
        [(i.client_id, i.client_secret, i.object_id) for i in world.identities.values()],
        [(r.primary_key, r.secondary_key) for r in world.sas_rules.values()],
        world.signing_key.kid,
        world.signing_key.private_key.public_key().public_numbers(),
    )


def test_persisted_across_reloads(tmp_path: Path) -> None:
    first = load_world(tmp_path)
    assert _fingerprint(load_world(tmp_path)) == _fingerprint(first)
    for name in (STATE_FILE, SIGNING_KEY_FILE):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_secrets_not_in_repr(tmp_path: Path) -> None:
    world = load_world(tmp_path)
    texts = [
        repr(world),
        *map(repr, world.identities.values()),
        *map(repr, world.sas_rules.values()),
    ]
    texts.append(repr(world.signing_key))
    secrets = [i.client_secret for i in world.identities.values()]
    secrets += [k for r in world.sas_rules.values() for k in r.keys]
    for text in texts:
        assert not any(secret in text for secret in secrets)
    assert "PRIVATE" not in repr(world.signing_key)


def test_toml_config(tmp_path: Path) -> None:
    config = tmp_path / "world.toml"
    config.write_text(EXAMPLE_TOML)
    world = load_world(tmp_path / "data", config)
    assert world.tenant_id == "6f1b2c1e-8a7b-4c1e-9d7e-0a1b2c3d4e5f"
    assert world.knows_tenant("CONTOSO.localhost") and not world.knows_tenant("relaydesk.localhost")
    assert world.hybrid_connections["orders/eu"].requires_client_authorization
    assert not world.hybrid_connections["public"].requires_client_authorization
    app = world.identities["app"]
    assert (app.client_id, app.client_secret) == (
        "11111111-2222-3333-4444-555555555555",
        "s3cr3t-value",
    )
    assert app.rights_on("orders/eu") == {Right.LISTEN}
    assert app.rights_on("public") == frozenset()
    assert world.identities["generated"].roles == ()
    root = world.sas_rules["root"]
    assert root.primary_key == "cHJpbWFyeQ==" and root.secondary_key
    assert world.sas_rules["eu-send"].scope == "/orders/eu"
    again = load_world(tmp_path / "data", config)
    assert _fingerprint(again) == _fingerprint(world)


def test_json_config_generates_and_keeps_missing_values(tmp_path: Path) -> None:
    config = tmp_path / "world.json"
    config.write_text(
        json.dumps(
            {
                "hybrid_connections": [{"name": "x"}],
                "identities": [{"name": "i", "roles": [{"role": ROLE_SENDER, "scope": "/x"}]}],
                "sas_rules": [{"name": "r", "rights": ["Listen"]}],
            }
        )
    )
    world = load_world(tmp_path / "data", config)
    again = load_world(tmp_path / "data", config)
    assert _fingerprint(world) == _fingerprint(again)
    assert world.identities["i"].rights_on("x") == {Right.SEND}
    assert world.sas_rules["r"].scope == "/"


def test_explicit_config_value_wins_over_state(tmp_path: Path) -> None:
    config = tmp_path / "w.toml"
    config.write_text('[[identities]]\nname = "a"\n')
    generated = load_world(tmp_path / "d", config).identities["a"].client_secret
    config.write_text('[[identities]]\nname = "a"\nclient_secret = "given"\n')
    assert load_world(tmp_path / "d", config).identities["a"].client_secret == "given"
    assert generated != "given"


CID = "11111111-2222-3333-4444-555555555555"
BAD_CONFIGS = [
    ('color = "red"', "(top level)", "unknown key"),
    ('tenant_id = "not-a-guid"', "tenant_id", "is not a GUID"),
    ('domain = "no spaces allowed"', "domain", "is not a DNS name"),
    ("tenant_id = 5", "tenant_id", "non-empty string"),
    ('[[hybrid_connections]]\nname = "-bad"', "hybrid_connections[0].name", "not a valid hybrid"),
    (
        "[[hybrid_connections]]\nrequires_client_authorization = true",
        "hybrid_connections[0].name",
        "is required",
    ),
    (
        '[[hybrid_connections]]\nname = "a"\nrequires_client_authorization = "yes"',
        "hybrid_connections[0].requires_client_authorization",
        "true or false",
    ),
    (
        '[[hybrid_connections]]\nname = "a"\n[[hybrid_connections]]\nname = "A"',
        "hybrid_connections[1].name",
        "duplicate",
    ),
    ('hybrid_connections = "demo"', "hybrid_connections", "list of tables"),
    (
        '[[identities]]\nname = "i"\nroles = [{ role = "Relay God", scope = "/" }]',
        "identities[0].roles[0].role",
        "is not one of",
    ),
    (
        '[[identities]]\nname = "i"\nroles = [{ role = "Azure Relay Owner", scope = "/nope" }]',
        "identities[0].roles[0].scope",
        "names no configured hybrid connection",
    ),
    (
        '[[identities]]\nname = "i"\nroles = [{ role = "Azure Relay Owner", where = "/" }]',
        "identities[0].roles[0]",
        "unknown key",
    ),
    ('[[identities]]\nname = "i"\nclient_id = "xyz"', "identities[0].client_id", "is not a GUID"),
    ('[[identities]]\nname = "i"\n[[identities]]\nname = "i"', "identities[1].name", "duplicate"),
    (
        f'[[identities]]\nname = "a"\nclient_id = "{CID}"\n'
        f'[[identities]]\nname = "b"\nclient_id = "{CID}"',
        "identities[1].client_id",
        "duplicate",
    ),
    ('[[sas_rules]]\nname = "r"\nrights = []', "sas_rules[0].rights", "non-empty list"),
    ('[[sas_rules]]\nname = "r"\nrights = ["Read"]', "sas_rules[0].rights", "non-empty list"),
    (
        '[[sas_rules]]\nname = "r"\nrights = ["Manage"]',
        "sas_rules[0].rights",
        "requires 'Listen' and 'Send'",
    ),
    (
        '[[sas_rules]]\nname = "r"\nrights = ["Send"]\nscope = "/ghost"',
        "sas_rules[0].scope",
        "names no configured",
    ),
    (
        '[[sas_rules]]\nname = "r"\nrights = ["Send"]\nprimary_key = ""',
        "sas_rules[0].primary_key",
        "non-empty string",
    ),
    (
        '[[sas_rules]]\nname = "r"\nrights = ["Send"]\n'
        '[[sas_rules]]\nname = "r"\nrights = ["Send"]',
        "sas_rules[1].name",
        "duplicate",
    ),
    ("this is = = not toml", "", "not valid"),
]


@pytest.mark.parametrize(("text", "key", "reason"), BAD_CONFIGS)
def test_config_errors_name_file_key_and_reason(
    tmp_path: Path, text: str, key: str, reason: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(EmulatorError) as info:
        load_world(tmp_path / "data", config)
    message = str(info.value)
    assert message.startswith(f"{config}: {key}")
    assert reason in message


def test_config_errors_never_echo_secrets(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[[identities]]\nname = "i"\nclient_secret = "hunter2"\nbogus = 1\n')
    with pytest.raises(EmulatorError) as info:
        load_world(tmp_path / "data", config)
    assert "hunter2" not in str(info.value)


def test_missing_and_non_table_config(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="cannot read the config file"):
        load_world(tmp_path, tmp_path / "absent.toml")
    config = tmp_path / "list.json"
    config.write_text("[1, 2]")
    with pytest.raises(EmulatorError, match="top level must be a table"):
        load_world(tmp_path, config)
    config.write_text("{broken")
    with pytest.raises(EmulatorError, match=r"not valid \.json"):
        load_world(tmp_path, config)


def test_corrupt_state_file(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text("{not json")
    with pytest.raises(EmulatorError, match="corrupt emulator state file"):
        load_world(tmp_path)
    (tmp_path / STATE_FILE).write_text("[]")
    with pytest.raises(EmulatorError, match="corrupt emulator state file"):
        load_world(tmp_path)


def test_corrupt_signing_key(tmp_path: Path) -> None:
    load_world(tmp_path)
    (tmp_path / SIGNING_KEY_FILE).write_text("garbage")
    with pytest.raises(EmulatorError, match="unreadable JWT signing key"):
        load_world(tmp_path)


def test_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(EmulatorError, match="cannot write"):
        load_world(blocker / "data")


def test_grant_and_revoke_take_effect_at_once(tmp_path: Path) -> None:
    world = load_world(tmp_path)
    assert world.identities["outsider"].rights_on("demo") == frozenset()
    world.grant_role("outsider", ROLE_SENDER, "demo")
    world.grant_role("outsider", ROLE_SENDER, "/demo")  # idempotent
    assert world.identities["outsider"].roles == (RoleAssignment(ROLE_SENDER, "/demo"),)
    assert world.identities["outsider"].rights_on("demo") == {Right.SEND}
    world.revoke_role("outsider", ROLE_SENDER, "/demo")
    assert world.identities["outsider"].rights_on("demo") == frozenset()
    world.revoke_role("outsider", ROLE_SENDER, "/demo")  # no-op
    world.revoke_role("owner", ROLE_OWNER, "/")
    assert world.identities["owner"].rights_on("open") == frozenset()


@pytest.mark.parametrize(
    ("identity", "role", "scope", "reason"),
    [
        ("nobody", ROLE_OWNER, "/", "unknown identity"),
        ("owner", "Azure Relay Admin", "/", "unknown role"),
        ("owner", ROLE_OWNER, "/ghost", "names no hybrid connection"),
    ],
)
def test_role_change_errors(
    tmp_path: Path, identity: str, role: str, scope: str, reason: str
) -> None:
    world = load_world(tmp_path)
    with pytest.raises(EmulatorError, match=reason):
        world.grant_role(identity, role, scope)
    with pytest.raises(EmulatorError, match=reason):
        world.revoke_role(identity, role, scope)


@pytest.mark.parametrize(
    ("scope", "entity", "covered"),
    [
        ("/", "demo", True),
        ("/", "a/b", True),
        ("/demo", "demo", True),
        ("/demo", "DEMO", True),
        ("/demo", "demo/sub", True),
        ("/demo", "demo2", False),
        ("/demo", "open", False),
        ("/a/b", "a", False),
        ("/demo", "", False),
        ("/", "", True),
    ],
)
def test_scope_covers(scope: str, entity: str, covered: bool) -> None:
    assert scope_covers(scope, entity) is covered


def test_lookups(tmp_path: Path) -> None:
    world = load_world(tmp_path)
    owner = world.identities["owner"]
    assert world.identity_by_client_id(owner.client_id.upper()) is owner
    assert world.identity_by_object_id(owner.object_id) is owner
    assert world.identity_by_client_id("00000000-0000-0000-0000-000000000000") is None
    assert world.hybrid_connection("/Demo/") is world.hybrid_connections["demo"]
    assert world.hybrid_connection("nope") is None
    assert world.sas_rule_for("listen-only", "demo") is world.sas_rules["listen-only"]
    assert world.sas_rule_for("listen-only", "open") is None
    assert world.sas_rule_for("RootManageSharedAccessKey", "open") is not None
    assert world.sas_rule_for("unknown", "demo") is None
    assert world.knows_tenant(world.tenant_id.upper()) and world.knows_tenant("relaydesk.localhost")
    assert not world.knows_tenant("other.localhost")


def test_manage_implies_listen_and_send(tmp_path: Path) -> None:
    world = load_world(tmp_path)
    root = world.sas_rules["RootManageSharedAccessKey"]
    assert root.grants(Right.LISTEN) and root.grants(Right.SEND)
    listen = world.sas_rules["listen-only"]
    assert listen.grants(Right.LISTEN) and not listen.grants(Right.SEND)


def test_docstring_example_is_a_valid_config(tmp_path: Path) -> None:
    """The format documented in the module docstring must load (docs cannot rot)."""
    doc = world_module.__doc__ or ""
    block = doc.split("unknown keys are errors)::", 1)[1].split("\nRole names", 1)[0]
    example = textwrap.dedent(block).replace("…GUID…", "").replace('"…"', '"x"')
    example = re.sub(r'^(\w+) = ""\s*(#.*)?$', "", example, flags=re.MULTILINE)
    config = tmp_path / "example.toml"
    config.write_text(example)
    world = load_world(tmp_path / "data", config)
    assert world.domain == "relaydesk.localhost"
    assert set(world.hybrid_connections) == {"demo"}
    assert world.identities["owner"].rights_on("demo") == frozenset(Right)
    assert world.sas_rules["RootManageSharedAccessKey"].keys == ("x", "x")
