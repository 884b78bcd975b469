"""Workspace: the secret store, the profiles, and which profile drives the bridges.

Opening the OS keyring can block (D-Bus, an unlock prompt), so it happens in
a worker thread after the window is shown, and only once something needs it
(:mod:`relaydesk.gui.bridges.session_secrets`: a start into the demo never
does). With no usable keyring the workspace keeps secrets in memory for this
session only and says so (``secret_store_ready(name, persistent=False)``); it
never writes a secret to disk. Selecting a profile reads its secrets, builds the token providers
(:mod:`relaydesk.gui.bridges.relay_adapters`, imported lazily) and hands the openers
to the listener and sender bridges.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from relaydesk.gui.bridges.listener_bridge import ListenerBridge
from relaydesk.gui.bridges.policies import ListenerPolicy, forward_fields
from relaydesk.gui.bridges.sender_bridge import SenderBridge
from relaydesk.gui.bridges.session_secrets import SessionSecrets, open_secret_store
from relaydesk.gui.bridges.tasks import TaskSlot
from relaydesk.gui.errors import error_info
from relaydesk.relay.events import ErrorInfo

if TYPE_CHECKING:
    from relaydesk.auth.provider import TokenProvider
    from relaydesk.gui.bridges.check_bridge import CheckBridge
    from relaydesk.gui.bridges.diagnose_bridge import DiagnoseBridge
    from relaydesk.gui.bridges.provider_pool import ProviderFactory, ProviderPool
    from relaydesk.gui.bridges.relay_adapters import CoreBackend
    from relaydesk.gui.bridges.sign_in_bridge import SignInBridge
    from relaydesk.profiles.model import Profile, Role
    from relaydesk.profiles.store import ProfileStore
    from relaydesk.secrets import Secret, SecretStore

__all__ = ["SESSION_ONLY", "Workspace"]

log = logging.getLogger(__name__)

SESSION_ONLY = "kept for this session only"


class Workspace(QObject):
    """Own the stores and the current profile.

    Signals:
        ready(): the profile store is open (the OS keyring opens when first needed).
        secret_store_ready(str, bool): the OS keyring was opened: backend name, persistent.
        profiles_changed(list, str): profile names and the current one ("" = none).
        profile_activated(object): the :class:`Profile` now driving the bridges (or None).
        switched(): another profile took over; what the old one ran was stopped, and
            what the panes show of it (tokens, errors) no longer applies.
        error(object): ErrorInfo of a profile/secret problem.
        token_copied(str): the role whose token was just put on the clipboard.
    """

    ready = Signal()
    secret_store_ready = Signal(str, bool)
    profiles_changed = Signal(list, str)
    profile_activated = Signal(object)
    switched = Signal()
    error = Signal(object)
    token_copied = Signal(str)
    signed_out = Signal(list)

    def __init__(
        self,
        listener: ListenerBridge,
        sender: SenderBridge,
        *,
        config_dir: Path | None = None,
        opener: Callable[[], tuple[SecretStore, str | None]] = open_secret_store,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._listener = listener
        self._sender = sender
        self._check: CheckBridge | None = None
        self._diagnose: DiagnoseBridge | None = None
        self._sign_in: SignInBridge | None = None
        self._config_dir = config_dir
        self.store: ProfileStore | None = None  # set once open
        self.secrets = SessionSecrets(opener)
        self.profile: Profile | None = None
        self.backend: CoreBackend | None = None  # of the current profile
        self._providers: ProviderPool | None = None  # made with the first backend
        self.secrets_status: dict[str, bool] = {}  # role → a secret is stored
        self._opened = asyncio.Event()
        self._open_slot = TaskSlot("workspace-open")
        self._select_slot = TaskSlot("workspace-select")
        self._save_slot = TaskSlot("workspace-save-forward")
        self._token_slot = TaskSlot("copy-token")
        self._sign_out_slot = TaskSlot("sign-out")
        self._keyring_slot = TaskSlot("open-keyring")

    def attach_diagnose(self, diagnose: DiagnoseBridge) -> None:
        """Also configure this :class:`DiagnoseBridge` from the current profile."""
        self._diagnose = diagnose

    def attach_sign_in(self, sign_in: SignInBridge) -> None:
        """People signing in report to this :class:`SignInBridge` (progress, Cancel)."""
        self._sign_in = sign_in

    def _provider_factory(self) -> ProviderFactory:
        from relaydesk.token_providers import provider_for

        options = self._sign_in.options() if self._sign_in is not None else None

        def factory(
            profile: Profile, role: Role, secret: Secret | None, **kwargs: Any
        ) -> TokenProvider:
            return provider_for(profile, role, secret, sign_in=options, **kwargs)

        return factory

    def attach_check(self, check: CheckBridge) -> None:
        """Also configure this :class:`CheckBridge` from the current profile."""
        self._check = check

    def _configure(self, backend: CoreBackend | None) -> None:
        self.backend = backend
        if backend is None:
            self._listener.set_opener(None)
            self._sender.set_backend(None, None)
            self._sender.listener_count.set_fetcher(None)
        else:
            self._listener.set_opener(backend.listener_opener())
            self._sender.set_backend(backend.sender_opener(), backend.http_requester())
            self._sender.listener_count.set_fetcher(backend.runtime_info_fetcher())
        if self._check is not None:
            self._check.set_config_factory(backend.check_config if backend else None)
        if self._diagnose is not None:
            self._diagnose.set_config_factory(backend.diagnose_config if backend else None)

    # --- opening ---------------------------------------------------------------------

    def open(
        self, preferred: str | None = None, *, fallback: str | None = None, keyring: bool = True
    ) -> None:
        """Open the stores in the background, then select a profile.

        Args:
            preferred: asked for by name (``--profile``): an error if missing.
            fallback: used when nothing was asked for (the last profile), silently.
            keyring: open the OS keyring now (a profile or the first-run form
                needs it at once); ``False`` leaves it to the first secret used.
        """
        self._open_slot.start(self._open(preferred, fallback, keyring))

    async def wait_open(self) -> None:
        """Wait until the stores are open (the demo waits for this)."""
        if not self._open_slot.running and not self._opened.is_set():
            self.open()
        await self._opened.wait()

    async def _open(
        self, preferred: str | None, fallback: str | None = None, keyring: bool = True
    ) -> None:
        from relaydesk.profiles.store import ProfileStore

        loop = asyncio.get_running_loop()

        def announce() -> None:  # in the thread that opened the keyring
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody to tell
                loop.call_soon_threadsafe(self._announce_secrets)

        self.secrets.on_open = announce
        if keyring:
            await self.secrets.open_async()
        store = self.store = ProfileStore(self.secrets, self._config_dir)
        self._opened.set()
        self.ready.emit()
        names = await asyncio.to_thread(store.list)
        wanted = preferred or fallback
        current = wanted if wanted in names else ""
        self.profiles_changed.emit(names, current)
        if preferred and not current:
            self.error.emit(
                ErrorInfo(
                    "ProfileError",
                    f"There is no profile named {preferred!r}.",
                    "Choose one in the profile list, create it with New, or press Demo.",
                )
            )
        if current:
            await self._activate_reporting(current)

    def _announce_secrets(self) -> None:
        self.secret_store_ready.emit(self.secrets.backend_name, self.secrets.persistent)

    def open_keyring(self) -> None:
        """Open the OS keyring in the background if not yet done (the editor needs it)."""
        if self.store is not None and not self.secrets.opened and not self._keyring_slot.running:
            self._keyring_slot.start(self._open_keyring())

    async def _open_keyring(self) -> None:
        await self.secrets.open_async()

    @property
    def secret_problem(self) -> str | None:
        """Why secrets are kept in memory (no usable OS keyring), once it was opened."""
        return self.secrets.problem

    async def opened_store(self) -> ProfileStore:
        """The profile store, once open (waits for it)."""
        await self.wait_open()
        assert self.store is not None  # set before _opened
        return self.store

    @property
    def persistent_secrets(self) -> bool:
        """True when secrets go to the OS keyring."""
        return bool(self.secrets.opened and self.secrets.persistent)

    # --- selecting ---------------------------------------------------------------------

    def select(self, name: str) -> None:
        """Make ``name`` the current profile (plain method for the profile bar)."""
        if name:
            self._select_slot.start(self._activate_reporting(name))

    async def _activate_reporting(self, name: str) -> None:
        try:
            await self.activate(name)
        except Exception as exc:  # noqa: BLE001 - shown in the window, with a remedy
            self.error.emit(error_info(exc))

    async def activate(self, name: str, *, renamed_from: str | None = None) -> Profile:
        """Load ``name``, read its secrets and configure both bridges.

        A different profile stops what the current one runs; the same profile
        (saved again, or ``renamed_from`` the current one's old name) leaves
        live connections alone, and the next start uses the new settings.

        Raises:
            ProfileError, InvalidField, SecretStoreError: shown by the caller.
        """
        store = await self.opened_store()
        profile = await asyncio.to_thread(store.load, name)
        secrets = store.secrets
        listener_secret = await secrets.get_async(profile.secret_key("listener"))
        sender_secret = await secrets.get_async(profile.secret_key("sender"))
        proxy_password = (
            await asyncio.to_thread(store.get_proxy_password, profile)
            if profile.proxy.username
            else None
        )
        from relaydesk.gui.bridges.provider_pool import ProviderPool
        from relaydesk.gui.bridges.relay_adapters import build_backend

        if self._providers is None:
            self._providers = ProviderPool(self._provider_factory())

        if self.profile is not None and self.profile.name not in (profile.name, renamed_from):
            # Another profile: what runs belongs to the old one.
            self._listener.stop()
            self._sender.disconnect_sender()
            self._sender.listener_count.forget()
            self.switched.emit()
        self.profile = profile
        self._listener.set_policy(replace(self._listener.policy, **forward_fields(profile)))
        self.secrets_status = {
            "listener": listener_secret is not None,
            "sender": sender_secret is not None,
            "proxy": proxy_password is not None,
        }
        try:
            backend = build_backend(
                profile,
                listener_secret,
                sender_secret,
                self._providers.provider,
                proxy_password=proxy_password,
            )
        except Exception:
            self._configure(None)
            self.profile_activated.emit(profile)
            raise
        self._configure(backend)
        await asyncio.to_thread(store.set_last_used, profile.name)
        self.profile_activated.emit(profile)
        return profile

    def save_forward(self, policy: ListenerPolicy) -> None:
        """Keep the listener's forwarding (URL, TLS trust) in the profile (never a secret)."""
        fields = forward_fields(policy)
        if self.profile is None or forward_fields(self.profile) == fields or self.store is None:
            return
        self.profile = replace(self.profile, **fields)
        self._save_slot.start(self._save(self.profile))

    async def _save(self, profile: Profile) -> None:
        try:
            store = await self.opened_store()
            await asyncio.to_thread(store.save, profile, overwrite=True)
        except Exception as exc:  # noqa: BLE001 - shown as a workspace error, not raised
            self.error.emit(error_info(exc))

    def deactivate(self) -> None:
        """No profile: the bridges cannot start until one is chosen."""
        self.profile = None
        self._configure(None)
        self.profile_activated.emit(None)

    async def refresh(self, current: str | None = None) -> None:
        """Re-read the profile names (after a save, rename, delete, import)."""
        store = await self.opened_store()
        names = await asyncio.to_thread(store.list)
        chosen = current if current is not None else (self.profile.name if self.profile else "")
        self.profiles_changed.emit(names, chosen if chosen in names else "")

    def sign_out(self) -> None:
        """Forget the people signed in for the current profile (Profile ▸ Sign out).

        The outcome is ``signed_out`` (the accounts removed) or ``error``; the next
        start asks them to sign in again.
        """
        self._sign_out_slot.start(self._sign_out())

    async def _sign_out(self) -> None:
        from relaydesk.profiles.model import ROLES

        profile, providers = self.profile, self._providers
        removed: list[str] = []
        if profile is None or providers is None:
            self.signed_out.emit(removed)
            return
        try:
            for role in ROLES:
                if profile.identity(role).kind == "user":
                    proxy = self.backend.proxy if self.backend is not None else None
                    provider = providers.provider(profile, role, None, proxy)
                    removed += await provider.sign_out()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - shown with a remedy
            self.error.emit(error_info(exc))
            return
        self.signed_out.emit(sorted(set(removed)))

    def copy_token(self, role: str) -> None:
        """Put a current token for ``role`` on the clipboard (plain method for "Copy token").

        Only ever at the user's request: the outcome is ``token_copied`` or ``error``.
        """
        self._token_slot.start(self._copy_token(role))

    async def _copy_token(self, role: str) -> None:
        try:
            token = await self.raw_token(role)
        except Exception as exc:  # noqa: BLE001 - shown with a remedy
            self.error.emit(error_info(exc))
            return
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.clipboard().setText(token)
        self.token_copied.emit(role)

    async def raw_token(self, role: str) -> str:
        """Return a token for ``role`` as text, for "Copy token" (user-initiated only).

        Raises:
            InvalidField: no profile is configured.
            AuthError: the token could not be obtained.
        """
        from relaydesk.errors import InvalidField

        backend = self.backend
        if backend is None:
            raise InvalidField("profile", "choose a profile first")
        provider = backend.listener_provider if role == "listener" else backend.sender_provider
        token = await provider.get_token()
        return str(token.value.reveal())

    async def close(self, grace: float = 2.0) -> None:
        """Let keyring/profile work in worker threads finish (bounded), then stop.

        The token providers are closed last (HTTP sessions, CA bundle files).
        """
        await self._open_slot.drain(grace)
        await self._select_slot.drain(grace)
        await self._keyring_slot.drain(grace)
        await self._token_slot.stop(0.2)
        await self._sign_out_slot.stop(0.2)
        if self._providers is not None:
            self._providers.close()
