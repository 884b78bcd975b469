"""Tests for relaydesk.emulator.world_config: every config error names file, key, reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from relaydesk.emulator.world import load_world
from relaydesk.errors import EmulatorError

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
    (
        '[[hybrid_connections]]\nname = "a"\nuser_metadata = 5',
        "hybrid_connections[0].user_metadata",
        "at most 1024 characters",
    ),
    (
        '[[hybrid_connections]]\nname = "a"\nuser_metadata = "' + "x" * 1025 + '"',
        "hybrid_connections[0].user_metadata",
        "at most 1024 characters",
    ),
    ('[[identities]]\nname = "i"\nuser_consent = "all"', "identities[0].user_consent", "'admin'"),
    (
        '[[identities]]\nname = "i"\nuser_consent = ["ghost"]',
        "identities[0].user_consent",
        "names no user: ['ghost']",
    ),
    ('[[users]]\nname = "u"\nhome_tenant = "x y"', "users[0].home_tenant", "not a domain"),
    (
        '[[users]]\nname = "u"\nhome_tenant = "relaydesk.localhost"',
        "users[0].home_tenant",
        "names this tenant",
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


def test_user_metadata_is_kept(tmp_path: Path) -> None:
    config = tmp_path / "world.toml"
    config.write_text('[[hybrid_connections]]\nname = "a"\nuser_metadata = "team A"\n')
    world = load_world(tmp_path / "data", config)
    hc = world.hybrid_connection("a")
    assert hc is not None and hc.user_metadata == "team A"


def test_consent_and_home_tenant_are_kept(tmp_path: Path) -> None:
    config = tmp_path / "world.toml"
    config.write_text(
        '[[identities]]\nname = "admin-consented"\n'
        '[[identities]]\nname = "some"\nuser_consent = ["a"]\n'
        '[[users]]\nname = "a"\n[[users]]\nname = "b"\nhome_tenant = "Fabrikam.example"\n'
    )
    world = load_world(tmp_path / "data", config)
    everyone, some = world.identities["admin-consented"], world.identities["some"]
    assert everyone.consented_for("a") and everyone.consented_for("b")
    assert some.consented_for("a") and not some.consented_for("b")
    assert world.users["a"].home_tenant is None
    assert world.users["b"].home_tenant == "fabrikam.example"
