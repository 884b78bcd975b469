"""Credential resolution: env vars, stdin, connection strings, sender identities."""

from __future__ import annotations

import argparse
import io

import pytest

from relaydesk.cli.common import add_common_arguments
from relaydesk.cli.credentials import SecretReader, make_provider, resolve_target
from relaydesk.errors import InvalidAddress, InvalidConnectionString, InvalidInput

KEY = "c2VjcmV0LWtleS12YWx1ZQ=="
CS = f"Endpoint=sb://ns.example.net/;SharedAccessKeyName=rule;SharedAccessKey={KEY};EntityPath=hc"


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    return parser.parse_args(list(argv))


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _resolve(args: argparse.Namespace, *, env=None, stdin="", roles=("listener", "sender")):
    warnings: list[str] = []
    reader = SecretReader(environ=env or {}, stdin=io.StringIO(stdin))
    target = resolve_target(args, roles=roles, warn=warnings.append, reader=reader)
    return target, warnings


def test_entra_identity_from_env_var() -> None:
    args = _parse(
        "sb://ns.example.net/hc",
        "--tenant-id",
        "t",
        "--client-id",
        "c",
        "--client-secret-env",
        "MY_SECRET",
        "--authority-host",
        "https://127.0.0.1:1",
    )
    target, warnings = _resolve(args, env={"MY_SECRET": "s3cret\n"})
    assert warnings == []
    assert target.address.entity_path == "hc"
    assert target.identity("listener").kind == "entra"
    assert target.credential("listener").secret.reveal() == "s3cret"
    assert target.identity("listener").authority_host == "https://127.0.0.1:1"
    assert target.sender is target.listener  # falls back to the main identity
    assert target.profile().sender_same_as_listener
    assert "s3cret" not in repr(target)


def test_separate_sender_identity() -> None:
    args = _parse(
        "ns.example.net/hc",
        "--tenant-id",
        "t",
        "--client-id",
        "listener-app",
        "--client-secret-env",
        "L",
        "--sender-client-id",
        "sender-app",
        "--sender-client-secret-stdin",
    )
    target, _ = _resolve(args, env={"L": "ls"}, stdin="ss\n")
    listener, sender = target.identity("listener"), target.identity("sender")
    assert (listener.kind, sender.kind) == ("entra", "entra")
    assert (listener.client_id, sender.client_id) == ("listener-app", "sender-app")
    assert target.credential("sender").secret.reveal() == "ss"
    assert sender.tenant_id == "t"
    assert not target.profile().sender_same_as_listener


def test_sas_key_from_env_and_anonymous_sender() -> None:
    args = _parse(
        "ns.example.net/hc",
        "--sas-key-name",
        "listen-only",
        "--sas-key-env",
        "K",
        "--sender-anonymous",
    )
    target, _ = _resolve(args, env={"K": KEY})
    assert target.identity("listener").kind == "sas"
    assert target.credential("listener").secret.reveal() == KEY
    assert target.identity("sender").kind == "anonymous"


def test_connection_string_from_env_stdin_and_argument() -> None:
    target, warnings = _resolve(_parse("--connection-string-env", "CS"), env={"CS": CS})
    assert warnings == []
    assert str(target.address) == "sb://ns.example.net/hc"
    assert target.identity("listener").kind == "sas"
    assert target.identity("listener").sas_key_name == "rule"

    target, warnings = _resolve(_parse("--connection-string", "-"), stdin=CS + "\n")
    assert warnings == [] and target.identity("sender").kind == "sas"

    target, warnings = _resolve(_parse("--connection-string", CS))
    assert len(warnings) == 1 and "process list" in warnings[0]
    assert KEY not in warnings[0]


def test_connection_string_without_entity_takes_a_bare_name() -> None:
    cs = f"Endpoint=sb://ns.example.net/;SharedAccessKeyName=r;SharedAccessKey={KEY}"
    target, _ = _resolve(_parse("other", "--connection-string-env", "CS"), env={"CS": cs})
    assert str(target.address) == "sb://ns.example.net/other"


def test_fixed_signature_connection_string() -> None:
    sas = "SharedAccessSignature sr=http%3a%2f%2fns.example.net%2fhc&sig=abc%3d&se=9999999999&skn=r"
    cs = f"Endpoint=sb://ns.example.net/;SharedAccessSignature={sas};EntityPath=hc"
    target, _ = _resolve(_parse("--connection-string-env", "CS"), env={"CS": cs})
    assert target.identity("listener").kind == "sas_signature"
    assert target.credential("listener").secret.reveal() == sas
    provider = make_provider(target, "sender")
    assert provider.describe() == "fixed SAS signature of rule 'r' (cannot be renewed)"


def test_a_terminal_gets_a_prompt_without_echo() -> None:
    args = _parse("ns.example.net/hc", "--sas-key-name", "r", "--sas-key-stdin")
    prompts: list[str] = []

    def prompt(text: str) -> str:
        prompts.append(text)
        return KEY

    reader = SecretReader(environ={}, stdin=_Tty(), prompt=prompt)
    target = resolve_target(args, roles=("listener",), warn=print, reader=reader)
    assert prompts == ["SAS key: "]
    assert target.identity("listener").kind == "sas"


@pytest.mark.parametrize(
    ("argv", "env", "field"),
    [
        (["ns/hc"], {}, "credentials"),
        (["ns/hc", "--client-id", "c", "--client-secret-env", "S"], {"S": "x"}, "--tenant-id"),
        (["ns/hc", "--tenant-id", "t", "--client-id", "c"], {}, "--client-secret-env"),
        (
            ["ns/hc", "--tenant-id", "t", "--client-id", "c", "--client-secret-env", "S"],
            {},
            "--client-secret-env",
        ),
        (["ns/hc", "--sas-key-name", "r"], {}, "--sas-key-env"),
        (["ns/hc", "--client-secret-env", "S"], {"S": "x"}, "--client-id"),
        (
            ["ns/hc", "--sas-key-name", "r", "--sas-key-env", "K", "--sas-key-stdin"],
            {"K": "x"},
            "--sas-key-env",
        ),
        (
            [
                "ns/hc",
                "--tenant-id",
                "t",
                "--client-id",
                "c",
                "--client-secret-stdin",
                "--sender-client-id",
                "d",
                "--sender-client-secret-stdin",
            ],
            {},
            "--sender-client-secret-stdin",
        ),
        (["--sas-key-name", "r", "--sas-key-env", "K"], {"K": "x"}, "address"),
    ],
)
def test_missing_or_conflicting_options_are_usage_errors(
    argv: list[str], env: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        _resolve(_parse(*argv), env=env, stdin="one line\n")
    assert info.value.field == field
    assert "one line" not in str(info.value)


def test_the_listener_needs_credentials_but_may_be_absent_for_send() -> None:
    args = _parse("ns/hc", "--sender-anonymous")
    target, _ = _resolve(args, roles=("sender",))
    assert target.listener is None
    assert target.identity("sender").kind == "anonymous"
    with pytest.raises(InvalidInput):
        target.identity("listener")


def test_bad_address_and_connection_string_are_typed_errors() -> None:
    with pytest.raises(InvalidAddress):
        _resolve(_parse("sb://", "--sender-anonymous"), roles=("sender",))
    with pytest.raises(InvalidConnectionString) as info:
        _resolve(_parse("--connection-string-env", "CS"), env={"CS": "Endpoint=sb://x/;Bogus=1"})
    assert KEY not in str(info.value)


def test_full_authority_gives_the_tenant_and_must_agree_with_tenant_id() -> None:
    from relaydesk.cli.credentials import split_authority

    assert split_authority("https://127.0.0.1:8443/t-1", None) == ("https://127.0.0.1:8443", "t-1")
    assert split_authority("https://login.example/", "t") == ("https://login.example", "t")
    assert split_authority(None, "t") == (None, "t")
    with pytest.raises(InvalidInput) as info:
        split_authority("https://127.0.0.1:8443/t-1", "t-2")
    assert info.value.field == "--authority-host"

    args = _parse(
        "ns/hc",
        "--authority-host",
        "https://127.0.0.1:8443/t-1/",
        "--client-id",
        "c",
        "--client-secret-env",
        "S",
    )
    target, _ = _resolve(args, env={"S": "x"}, roles=("listener",))
    listener = target.identity("listener")
    assert listener.kind == "entra"
    assert (listener.tenant_id, listener.authority_host) == (
        "t-1",
        "https://127.0.0.1:8443",
    )


def test_ca_file_and_token_lifetime_reach_the_shared_factory(tmp_path) -> None:
    """--ca-file is the Entra identity's CA too; --token-lifetime is the SAS tokens' lifetime."""
    ca = tmp_path / "ca.pem"
    args = _parse(
        "ns/hc",
        "--tenant-id",
        "t",
        "--client-id",
        "c",
        "--client-secret-env",
        "S",
        "--ca-file",
        str(ca),
        "--sender-sas-key-name",
        "r",
        "--sender-sas-key-env",
        "K",
        "--token-lifetime",
        "120",
    )
    target, _ = _resolve(args, env={"S": "x", "K": KEY})
    assert target.identity("listener").ca_file == str(ca)
    assert target.identity("sender").ca_file is None  # SAS: only the relay's TLS uses it
    assert target.ca_file == ca
    assert "ttl=120" in repr(make_provider(target, "sender"))
