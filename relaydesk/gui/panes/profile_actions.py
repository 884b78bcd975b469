"""Carry out the profile bar's intents: new, save, duplicate, rename, delete, import, export.

Profile files and keyring calls block briefly, so each action runs in a
worker thread inside a task this object owns; the outcome is a status line
or an ``ErrorInfo`` (``Workspace.error``), never a modal dialog. Export uses a
non-modal save dialog.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from relaydesk.gui.bridges.tasks import TaskGroupSlot
from relaydesk.gui.bridges.workspace import Workspace
from relaydesk.gui.errors import error_info
from relaydesk.gui.panes.connection_section import ConnectionSection

__all__ = ["ProfileActions", "unique_name"]


def unique_name(base: str, taken: list[str]) -> str:
    """Return ``base``, or ``base 2``, ``base 3``… whichever is free."""
    folded = {name.casefold() for name in taken}
    if base.casefold() not in folded:
        return base
    number = 2
    while f"{base} {number}".casefold() in folded:
        number += 1
    return f"{base} {number}"


class ProfileActions(QObject):
    """Profile management for the main window.

    Signals:
        status(str): a one-line outcome for the status bar.
    """

    status = Signal(str)

    def __init__(
        self, workspace: Workspace, section: ConnectionSection, dialog_parent: QWidget
    ) -> None:
        super().__init__(dialog_parent)
        self._workspace = workspace
        self._section = section
        self._parent = dialog_parent
        self._tasks = TaskGroupSlot("profile-action")
        self._one_at_a_time = asyncio.Lock()  # quick clicks must not interleave
        self._dialog: QFileDialog | None = None
        section.save_requested.connect(self.save_form)

    def _run(self, action: Callable[[], Awaitable[str]]) -> None:
        async def wrapped() -> None:
            try:
                async with self._one_at_a_time:
                    message = await action()
            except Exception as exc:  # noqa: BLE001 - shown, with a remedy
                self._workspace.error.emit(error_info(exc))
                return
            if message:
                self.status.emit(message)

        self._tasks.start(wrapped())

    def _store(self) -> Any:
        return self._workspace.store

    async def _names(self) -> list[str]:
        await self._workspace.wait_open()
        return list(await asyncio.to_thread(self._store().list))

    # --- intents -----------------------------------------------------------------------

    def new_profile(self) -> None:
        """Show a blank form under a free name."""

        async def action() -> str:
            from relaydesk.profiles import Profile

            name = unique_name("New profile", await self._names())
            self._section.set_secret_store(self._store().secrets)
            self._section.ensure_form()
            self._section.show_profile(Profile(name=name, address=""), {})
            self._section.set_expanded(True)
            return f"Fill in the connection form and press Save to create '{name}'"

        self._run(action)

    def save_form(self) -> None:
        """Store the form's profile and secrets, then use it (and close the editor)."""
        form = self._section.form
        if form is None:
            return
        self.save_profile(
            form.profile(), form.secrets(), then=lambda: self._section.set_expanded(False)
        )

    def save_profile(
        self,
        profile: Any,
        secrets: Mapping[str, Any],
        *,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Store ``profile`` and its ``secrets`` (role → Secret), make it current, call ``then``."""
        current = self._workspace.profile
        if current is not None and current.name == profile.name:
            # The listener's "Forward to" is not in the connection form: keep it.
            profile = dataclasses.replace(profile, forward_to=current.forward_to)

        async def action() -> str:
            from relaydesk.secrets import secret_key

            store = self._store()
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
            await asyncio.to_thread(self._store().duplicate, name, new)
            await self._workspace.refresh(new)
            await self._workspace.activate(new)
            return f"Duplicated '{name}' as '{new}'"

        self._run(action)

    def rename(self, old: str, new: str) -> None:
        """Rename a profile (its keyring entries move with it); live connections stay."""

        async def action() -> str:
            renamed = await asyncio.to_thread(self._store().rename, old, new)
            await self._workspace.refresh(renamed.name)
            await self._workspace.activate(renamed.name, renamed_from=old)
            return f"Renamed '{old}' to '{renamed.name}' (connections stay open)"

        self._run(action)

    def delete(self, name: str) -> None:
        """Delete a profile and its stored secrets."""

        async def action() -> str:
            await asyncio.to_thread(self._store().delete, name)
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
            saved = await asyncio.to_thread(self._store().import_connection_string, text, name)
            await self._workspace.refresh(saved.name)
            await self._workspace.activate(saved.name)
            if self._workspace.persistent_secrets:
                return f"Imported '{saved.name}' (its key is in the secret store)"
            return f"Imported '{saved.name}' (its key is kept in memory for this session only)"

        self._run(action)

    def export(self, name: str) -> None:
        """Ask (non-modally) where to save the profile's JSON (never a secret)."""
        dialog = QFileDialog(
            self._parent, f"Export profile '{name}'", f"{name}.json", "Profile (*.json)"
        )
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.fileSelected.connect(lambda path: self._export_to(name, path))
        dialog.setWindowModality(Qt.WindowModality.NonModal)  # never blocks the loop
        # Deleted when closed, not later with its parent: a file dialog torn down
        # together with the window has crashed Qt (its file-system model thread).
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._forget_dialog)
        self._dialog = dialog
        dialog.show()

    def _export_to(self, name: str, path: str) -> None:
        async def action() -> str:
            from pathlib import Path

            text = await asyncio.to_thread(self._store().export_json, name)
            await asyncio.to_thread(Path(path).write_text, text, encoding="utf-8")
            return f"Exported '{name}' to {path} (without secrets)"

        self._run(action)

    async def aclose(self, grace: float = 2.0) -> None:
        """Let running actions (file and keyring work in threads) finish, bounded."""
        await self._tasks.drain(grace)

    def _forget_dialog(self, *_result: object) -> None:
        self._dialog = None
