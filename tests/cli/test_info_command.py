"""``relaydesk info``: runtime information agrees with the emulator (§11)."""

from __future__ import annotations

import json
import ssl
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from relaydesk.cli import main
from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.emulator.admin import ADMIN_HEADER
from tests.cli.conftest import BackgroundListener, EmulatorThread, World, assert_no_secret

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("secret_env")]


@pytest.fixture
def own_emulator(tmp_path: Path) -> Iterator[EmulatorThread]:
    """A private emulator, so no other test's listener is counted."""
    thread = EmulatorThread(EmulatorOptions(data_dir=tmp_path / "emu"))
    yield thread
    thread.stop()


def _attached(emulator: Emulator, entity: str) -> int:
    """How many listeners the emulator's admin endpoint lists on ``entity``."""
    request = urllib.request.Request(
        emulator.admin_url + "/listeners", headers={ADMIN_HEADER: emulator.admin_key}
    )
    tls = ssl.create_default_context(cafile=str(emulator.ca_file))
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=tls)
    )
    with opener.open(request, timeout=10) as response:
        return len(json.load(response)["listeners"].get(entity, []))


def _info(world: World, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    code = main(["info", world.address(), "--json", *world.entra_args(sender=None), *extra])
    captured = capsys.readouterr()
    assert code == 0, captured
    assert_no_secret(world, captured.out, captured.err)
    record: dict[str, object] = json.loads(captured.out)
    return record


def test_listener_count_agrees_with_the_emulator_at_0_1_2(
    own_emulator: EmulatorThread,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World(own_emulator.emulator.ready_info())
    for name, value in world.env().items():
        monkeypatch.setenv(name, value)
    counts = []
    with ExitStack() as stack:
        for _ in range(3):
            record = _info(world, capsys)
            counts.append(record["listener_count"])
            assert record["listener_count"] == _attached(own_emulator.emulator, "demo")
            stack.enter_context(BackgroundListener(own_emulator, world, "demo"))
    assert counts == [0, 1, 2]
    assert set(record) == {
        "event",
        "address",
        "listener_count",
        "requires_client_authorization",
        "created_at",
        "updated_at",
        "user_metadata",
    }
    assert record["requires_client_authorization"] is True
    assert str(record["created_at"]).endswith("Z")


def test_human_form_and_open_entity(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RD_TEST_LISTENER_SECRET", world.identity("owner")["client_secret"])
    code = main(["info", world.address("open"), *world.entra_args(listener="owner", sender=None)])
    out = capsys.readouterr().out
    assert code == 0
    assert "listener" in out.splitlines()[0]
    assert "senders need a token: no (anonymous senders allowed)" in out


def test_unknown_entity_is_not_found_with_exit_4(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RD_TEST_LISTENER_SECRET", world.identity("owner")["client_secret"])
    code = main(
        ["info", world.address("nope"), "--json", *world.entra_args(listener="owner", sender=None)]
    )
    record = json.loads(capsys.readouterr().out)
    assert code == 4
    assert record["kind"] == "EntityNotFound"
    assert "nope" in record["message"]


def test_identity_without_a_role_is_forbidden(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RD_TEST_LISTENER_SECRET", world.identity("outsider")["client_secret"])
    code = main(
        ["info", world.address(), "--json", *world.entra_args(listener="outsider", sender=None)]
    )
    record = json.loads(capsys.readouterr().out)
    assert code == 3
    assert record["kind"] == "Forbidden"
    assert record["tracking_id"]
