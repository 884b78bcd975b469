"""Tests for relaydesk.emulator.world_model: rights, scopes, lookups, role changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from relaydesk.emulator.world import (
    ROLE_OWNER,
    ROLE_SENDER,
    Right,
    RoleAssignment,
    load_world,
    scope_covers,
)
from relaydesk.errors import EmulatorError


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
