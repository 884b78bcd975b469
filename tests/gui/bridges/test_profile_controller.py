"""ProfileController: the profile bar's intents on real stores, reported through signals."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from relaydesk.gui.bridges.listener_bridge import ListenerBridge
from relaydesk.gui.bridges.profile_controller import ProfileController, unique_name
from relaydesk.gui.bridges.sender_bridge import SenderBridge
from relaydesk.gui.bridges.workspace import Workspace
from relaydesk.profiles.model import Profile
from relaydesk.secrets import Secret, secret_key
from tests.gui.conftest import wait_signal

pytestmark = pytest.mark.gui

CONNECTION_STRING = (
    "Endpoint=sb://ns7.servicebus.windows.net/;SharedAccessKeyName=send;"
    "SharedAccessKey=c2VjcmV0;EntityPath=hc"
)


@pytest_asyncio.fixture
async def workspace(_isolated_config: Path) -> AsyncIterator[Workspace]:
    workspace = Workspace(ListenerBridge(), SenderBridge(), config_dir=_isolated_config)
    workspace.open()
    await workspace.opened_store()
    yield workspace
    await workspace.close()


@pytest.fixture
def controller(workspace: Workspace) -> ProfileController:
    return ProfileController(workspace)


def test_unique_name_counts_up_past_taken_names_whatever_their_case() -> None:
    assert unique_name("New profile", []) == "New profile"
    assert unique_name("New profile", ["new PROFILE", "New profile 2"]) == "New profile 3"


@pytest.mark.asyncio
async def test_new_profile_offers_a_free_name_without_touching_widgets(
    controller: ProfileController,
) -> None:
    controller.new_profile()
    (blank,) = await wait_signal(controller.blank_profile)
    assert isinstance(blank, Profile) and (blank.name, blank.address) == ("New profile", "")
    controller.import_connection_string(CONNECTION_STRING)
    await wait_signal(controller.status)
    controller.new_profile()
    (blank,) = await wait_signal(controller.blank_profile)
    assert blank.name == "New profile"  # "Imported" did not take it


@pytest.mark.asyncio
async def test_a_failed_action_is_an_error_signal_with_a_remedy(
    controller: ProfileController,
) -> None:
    controller.import_connection_string("Endpoint=nonsense")
    (info,) = await wait_signal(controller.error)
    assert info.message and info.remedy


@pytest.mark.asyncio
async def test_export_writes_the_profile_without_its_secret(
    controller: ProfileController, tmp_path: Path
) -> None:
    controller.import_connection_string(CONNECTION_STRING)
    (line,) = await wait_signal(controller.status)
    assert "Imported 'Imported'" in line
    target = tmp_path / "out.json"
    controller.export_to("Imported", str(target))
    (line,) = await wait_signal(controller.status)
    text = target.read_text(encoding="utf-8")
    assert str(target) in line and "ns7.servicebus.windows.net" in text
    assert "c2VjcmV0" not in text


@pytest.mark.asyncio
async def test_save_stores_the_secrets_and_then_calls_back(
    controller: ProfileController, workspace: Workspace
) -> None:
    controller.import_connection_string(CONNECTION_STRING)
    await wait_signal(controller.status)
    assert workspace.profile is not None
    profile = dataclasses.replace(workspace.profile, name="Orders")
    done: list[bool] = []
    controller.save_profile(profile, {"listener": Secret("a2V5")}, then=lambda: done.append(True))
    (line,) = await wait_signal(controller.status)
    assert line == "Saved profile 'Orders'" and done == [True]
    store = await workspace.opened_store()
    stored = store.secrets.get(secret_key("Orders", "listener"))
    assert stored is not None and stored.reveal() == "a2V5"
