"""Tests for relaydesk.emulator.world: load_world's defaults, persistence, config merge.

Config validation errors are in test_world_config.py, state-file failures in
test_world_state.py, the model's rules and role changes in test_world_model.py.
"""

from __future__ import annotations

import json
import re
import stat
import textwrap
from pathlib import Path

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
)

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


def test_split_modules_keep_the_public_names() -> None:
    """Everything importable from world.py before the split still is, as the same object."""
    from relaydesk.emulator import world_config, world_model, world_state

    names = {
        world_model: "DEFAULT_DOMAIN ROLE_LISTENER ROLE_OWNER ROLE_RIGHTS ROLE_SENDER "
        "HybridConnection Identity Right RoleAssignment SasRule SigningKey World "
        "is_entity_name new_guid scope_covers",
        world_state: "SIGNING_KEY_FILE STATE_FILE",
    }
    for module, listed in names.items():
        for name in listed.split():
            assert getattr(world_module, name) is getattr(module, name), name
            assert name in world_module.__all__
    assert "load_world" in world_module.__all__
    assert world_config.__doc__ and "relaydesk.emulator.world" in world_config.__doc__
