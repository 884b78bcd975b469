"""ProfileController: the profile bar's intents carried out on the stores.

New, save, duplicate, rename, delete, import and export touch profile files
and the keyring, which block briefly, so each action runs in a worker thread
inside a task this bridge owns, one at a time (quick clicks must not
interleave). Widgets only call the plain methods and listen to the signals:
the outcome is a status line (``status``), a blank profile to edit
(``blank_profile``) or an ``ErrorInfo`` with its remedy (``error``), never
a modal dialog. Choosing where to export is the window's (a non-modal dialog); the
controller writes the file.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from relaydesk.gui.bridges.policies import forward_fields
from relaydesk.gui.bridges.tasks import TaskGroupSlot
from relaydesk.gui.bridges.workspace import Workspace
from relaydesk.gui.errors import error_info

if TYPE_CHECKING:
    from relaydesk.profiles.model import Profile
    from relaydesk.profiles.store import ProfileStore
    from relaydesk.secrets import Secret

__all__ = ["ProfileController", "unique_name"]


def unique_name(base: str, taken: list[str]) -> str:
    """Return ``base``, or ``base 2``, ``base 3``… whichever is free."""
    folded = {name.casefold() for name in taken}
    if base.casefold() not in folded:
        return base
    number = 2
    while f"{base} {number}".casefold() in folded:
        number += 1
    return f"{base} {number}"


class ProfileController(QObject):
    """Profile management for the main window.

    Signals:
        status(str): a one-line outcome for the status bar.
        blank_profile(object): a new :class:`Profile` under a free name, to be
            filled in (the window opens the connection editor on it).
        error(object): ErrorInfo of an action that failed.
    """

    status = Signal(str)
    blank_profile = Signal(object)
    error = Signal(object)

    def __init__(self, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._tasks = TaskGroupSlot("profile-action")
        self._one_at_a_time = asyncio.Lock()  # quick clicks must not interleave

    def _run(self, action: Callable[[], Awaitable[str]]) -> None:
        async def wrapped() -> None:
            try:
                async with self._one_at_a_time:
                    message = await action()
            except Exception as exc:  # noqa: BLE001 - shown, with a remedy
                self.error.emit(error_info(exc))
                return
            if message:
                self.status.emit(message)

        self._tasks.start(wrapped())

    async def _store(self) -> ProfileStore:
        return await self._workspace.opened_store()

    async def _names(self) -> list[str]:
        store = await self._store()
        return list(await asyncio.to_thread(store.list))

    # --- intents -----------------------------------------------------------------------

    def new_profile(self) -> None:
        """Offer a blank profile under a free name (``blank_profile``)."""

        async def action() -> str:
            from relaydesk.profiles.model import Profile

            name = unique_name("New profile", await self._names())
            self.blank_profile.emit(Profile(name=name, address=""))
            return f"Fill in the connection form and press Save to create '{name}'"

        self._run(action)

    def save_profile(
        self,
        profile: Profile,
        secrets: Mapping[str, Secret],
        *,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Store ``profile`` and its ``secrets`` (role → Secret), make it current, call ``then``."""
        current = self._workspace.profile
        if current is not None and current.name == profile.name:
            # The listener's forwarding is not in the connection form: keep it.
            profile = dataclasses.replace(profile, **forward_fields(current))

        async def action() -> str:
            from relaydesk.secrets import secret_key

            store = await self._store()
            saved = await asyncio.to_thread(store.save, profile, overwrite=True)
            for role, secret in secrets.items():
                await store.secrets.set_async(secret_key(saved.name, role), secret)
            await self._workspace.refresh(saved.name)
            await self._workspace.activate(saved.name)
            if then is not None:
                then()
            return f"Saved profile '{saved.name}'"

        self._run(action)

    def duplicate(self, name: str) -> None:
        """Copy ``name`` (and its secrets) under a free name."""

        async def action() -> str:
            new = unique_name(f"{name} copy", await self._names())
            await asyncio.to_thread((await self._store()).duplicate, name, new)
            await self._workspace.refresh(new)
            await self._workspace.activate(new)
            return f"Duplicated '{name}' as '{new}'"

        self._run(action)

    def rename(self, old: str, new: str) -> None:
        """Rename a profile (its keyring entries move with it); live connections stay."""

        async def action() -> str:
            renamed = await asyncio.to_thread((await self._store()).rename, old, new)
            await self._workspace.refresh(renamed.name)
            await self._workspace.activate(renamed.name, renamed_from=old)
            return f"Renamed '{old}' to '{renamed.name}' (connections stay open)"

        self._run(action)

    def delete(self, name: str) -> None:
        """Delete a profile and its stored secrets."""

        async def action() -> str:
            await asyncio.to_thread((await self._store()).delete, name)
            workspace = self._workspace
            current = workspace.profile.name if workspace.profile is not None else ""
            names = await self._names()
            if current == name:  # the one in use went away: fall back to another
                current = names[0] if names else ""
                if current:
                    await workspace.activate(current)
                else:
                    workspace.deactivate()
            await workspace.refresh(current)
            return f"Deleted profile '{name}' and its stored secrets"

        self._run(action)

    def import_connection_string(self, text: str) -> None:
        """Create a SAS profile from a connection string (the key goes to the store)."""

        async def action() -> str:
            name = unique_name("Imported", await self._names())
            store = await self._store()
            saved = await asyncio.to_thread(store.import_connection_string, text, name)
            await self._workspace.refresh(saved.name)
            await self._workspace.activate(saved.name)
            if self._workspace.persistent_secrets:
                return f"Imported '{saved.name}' (its key is in the secret store)"
            return f"Imported '{saved.name}' (its key is kept in memory for this session only)"

        self._run(action)

    def export_to(self, name: str, path: str) -> None:
        """Write profile ``name`` as JSON to ``path`` (never a secret)."""

        async def action() -> str:
            from pathlib import Path

            store = await self._store()
            text = await asyncio.to_thread(store.export_json, name)
            await asyncio.to_thread(Path(path).write_text, text, encoding="utf-8")
            return f"Exported '{name}' to {path} (without secrets)"

        self._run(action)

    async def aclose(self, grace: float = 2.0) -> None:
        """Let running actions (file and keyring work in threads) finish, bounded."""
        await self._tasks.drain(grace)
