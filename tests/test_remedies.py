"""relaydesk.remedies: one table decides the remedy, tailored by side, identity and edge."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from relaydesk.errors import (
    AuthError,
    ConnectionClosed,
    EntityNotFound,
    Forbidden,
    ForwardingFailed,
    InvalidAddress,
    InvalidField,
    NoListener,
    SecretStoreUnavailable,
    TokenRejected,
    Unauthorized,
)
from relaydesk.remedies import forbidden_remedy, remedy_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("identity", "needle"),
    [
        ("sas", "SAS key and rule name"),
        ("entra", "https://relay.azure.net"),
        ("anonymous", "requires client authorization"),
        ("", "Check the token"),
    ],
)
def test_a_401_is_explained_for_the_identity_that_met_it(identity: str, needle: str) -> None:
    assert needle in remedy_for(Unauthorized(401, "bad"), identity=identity)


def test_a_sas_401_does_not_talk_about_entra_audiences() -> None:
    assert "audience" not in remedy_for(Unauthorized(401, "bad"), identity="sas")


@pytest.mark.parametrize("side", ["listener", "sender"])
def test_a_403_names_the_one_role_missing_on_its_side(side: str) -> None:
    role = f"Azure Relay {side.title()} role"
    assert role in remedy_for(Forbidden(403, "no"), side=side)
    assert role in remedy_for(TokenRejected(403, "MissingRight", "no"), side=side)
    assert forbidden_remedy(side) == remedy_for(Forbidden(403, "no"), side=side)
    assert "Listener/Sender" in remedy_for(Forbidden(403, "no"))


def test_a_404_without_listeners_reads_like_a_502() -> None:
    no_listeners = EntityNotFound(404, "There are no listeners connected for the endpoint.")
    assert remedy_for(no_listeners) == remedy_for(NoListener(502, "")) != ""
    assert remedy_for(EntityNotFound(404, "gone")) != remedy_for(no_listeners)


def test_only_a_listener_is_promised_a_reconnect() -> None:
    assert "reconnects" in remedy_for(ConnectionClosed(1008, ""), side="listener")
    assert "reconnects" not in remedy_for(ConnectionClosed(1008, ""), side="sender")


def test_edges_word_their_own_controls() -> None:
    assert "--client-secret-env" in remedy_for(SecretStoreUnavailable("x"), edge="cli")
    assert "in memory" in remedy_for(SecretStoreUnavailable("x"), edge="gui")
    cli = remedy_for(InvalidAddress("address", "bad"), edge="cli", command="send")
    assert cli.endswith("(see relaydesk send --help).")
    assert remedy_for(InvalidAddress("address", "bad"), edge="gui") == "Correct the address field."


def test_a_bad_environment_variable_is_not_sent_to_an_options_help() -> None:
    remedy = remedy_for(InvalidField("RELAYDESK_EVENT_LOOP", "bad"), edge="cli", command="send")
    assert remedy == "Fix or unset the RELAYDESK_EVENT_LOOP environment variable."


def test_an_error_that_knows_better_keeps_its_own_remedy() -> None:
    assert remedy_for(AuthError("AADSTS7000215", remedy="Use the secret's Value.")) == (
        "Use the secret's Value."
    )
    assert remedy_for(Forbidden(403, "x", remedy="Ask the owner."), side="sender") == (
        "Ask the owner."
    )


@pytest.mark.parametrize(
    ("cause", "needle"),
    [
        ("unreachable", "Start the local service"),
        ("timeout", "60 s deadline"),
        ("tls", "--forward-ca"),
        ("busy", "in-flight limit"),
        ("request-too-large", "request body limit"),
        ("response-too-large", "response body limit"),
        ("broken-body", "local service's log"),
        ("invalid-response", "http:// vs https://"),
    ],
)
def test_a_forwarding_failure_gets_the_remedy_for_its_cause(cause: str, needle: str) -> None:
    assert needle in remedy_for(ForwardingFailed(502, cause, "x"), side="listener")


def test_a_bug_is_called_a_bug() -> None:
    assert "bug" in remedy_for(KeyError("x"))
    assert "--debug" in remedy_for(KeyError("x"), edge="cli")


@pytest.mark.parametrize(
    "sentence",
    [
        "requires client authorization",
        "Assign the Azure Relay Listener role",
        "Start a listener on this hybrid connection",
        "Install and unlock an OS keyring",
        "At most 25 listeners can be connected",
        "The listener refused this connection",
        "Start the local service",
        "Raise the response body limit",
    ],
)
def test_each_remedy_sentence_is_written_once(sentence: str) -> None:
    found = subprocess.run(
        ["grep", "-rlF", "--include=*.py", sentence, "relaydesk"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert found == ["relaydesk/remedies.py"]
