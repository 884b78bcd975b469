"""Demo mode: the emulator in a child process, a "Local demo" profile, and its fault controls.

``relaydesk --demo`` (or the Demo button) starts ``relaydesk emulator`` as a
child process (:mod:`relaydesk.emulator_process`) on a free loopback port,
so aiohttp and cryptography stay out of the app's memory. It then creates or
refreshes the "Local demo" profile: the listener is the emulator's
``listener`` Entra app (Azure Relay Listener on ``/demo``), the sender its
``sender`` app (Azure Relay Sender on ``/demo``), the address
``sb://127.0.0.1:PORT/demo``, the authority host and CA are the emulator's.
The two client secrets, minted by the emulator at every start and useless
once it stops, are kept in memory for this session only, never written into
the OS keyring (which the demo therefore never opens), so Start and Connect
work straight away. Tokens live a few minutes (``--token-lifetime``), so renewal
(§4.6) is visible during a demo.

The fault buttons (:mod:`relaydesk.gui.widgets.demo_fault_bar`) call the
emulator's fault controls through its authenticated admin endpoint
(:mod:`relaydesk.emulator.admin`); each shows recovery (reconnect, renewal) or a
clear error (504, 403 with its remedy).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from relaydesk.errors import EmulatorError
from relaydesk.gui.bridges.tasks import TaskGroupSlot, TaskSlot
from relaydesk.gui.errors import error_info
from relaydesk.relay.events import ErrorInfo

if TYPE_CHECKING:
    from relaydesk.emulator_process import EmulatorProcess
    from relaydesk.gui.bridges.workspace import Workspace
    from relaydesk.profiles.store import ProfileStore

__all__ = [
    "DEFAULT_DEMO_TOKEN_LIFETIME",
    "DEMO_ENTITY",
    "DEMO_PROFILE",
    "DemoBridge",
    "DemoInfo",
]


DEMO_PROFILE = "Local demo"
DEMO_ENTITY = "demo"
#: Seconds an emulator token lives in demo mode: renewals show up within minutes.
DEFAULT_DEMO_TOKEN_LIFETIME = 180
#: The emulator's HTTP response deadline in demo mode: "slow listener" gives a
#: 504 after this many seconds rather than the service's 60 s (§7.3).
DEMO_HTTP_TIMEOUT = 5.0
#: How long "Slow listener" makes the relay hold each HTTP response: past the deadline.
DEMO_RESPONSE_DELAY = DEMO_HTTP_TIMEOUT * 2
_ROLE_SENDER = "Azure Relay Sender"


@dataclass(frozen=True)
class DemoInfo:
    """What the window shows about the running emulator."""

    namespace: str
    profile_name: str
    token_lifetime: float


class DemoBridge(QObject):
    """Own the demo's emulator process, the demo start-up and the fault controls.

    The window calls the plain :meth:`start`; the start-up (stores open,
    emulator up, profile written and made current) runs in a task owned
    here, and its outcome comes back as ``started`` or ``error``.

    Signals:
        started(object): demo mode runs and its profile is in use (``DemoInfo``).
        error(object): ErrorInfo of a start-up that failed (shown with its remedy).
        fault_applied(str): a one-line description of what was just done.
        fault_failed(object): ErrorInfo of a fault that could not be applied.
        slow_changed(bool): "Slow listener" was switched on or off.
    """

    started = Signal(object)
    error = Signal(object)
    fault_applied = Signal(str)
    fault_failed = Signal(object)
    slow_changed = Signal(bool)

    def __init__(
        self,
        workspace: Workspace,
        *,
        data_dir: Path | None = None,
        token_lifetime: float | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._data_dir = data_dir
        self.token_lifetime = float(token_lifetime or DEFAULT_DEMO_TOKEN_LIFETIME)
        self._emulator: EmulatorProcess | None = None
        self._faults = TaskGroupSlot("demo-fault")
        self._starting = TaskSlot("demo-start")
        self.info: DemoInfo | None = None
        self.sender_role_revoked = False
        self.slow = False

    @property
    def running(self) -> bool:
        """True while the emulator runs."""
        return self._emulator is not None

    @property
    def starting(self) -> bool:
        """True while a start-up runs."""
        return self._starting.running

    @property
    def emulator(self) -> EmulatorProcess | None:
        """The running emulator process (tests read its ready line through it)."""
        return self._emulator

    def start(self) -> None:
        """Start demo mode in a task (plain method for the Demo button).

        A second press while it starts is ignored (cancelling a half-started
        emulator would leak its socket).
        """
        if not self._starting.running:
            self._starting.start(self._start())

    async def ready(self) -> DemoInfo:
        """Start demo mode if needed and wait until its profile drives the bridges.

        Raises:
            RuntimeError: the start-up failed (its ``error`` says why).
        """
        if self.info is None:
            self.start()
            task = self._starting.task
            assert task is not None
            await asyncio.shield(task)
        if self.info is None:
            raise RuntimeError("demo mode did not start")
        return self.info

    async def _start(self) -> None:
        workspace = self._workspace
        try:
            info = await self._start_emulator(await workspace.opened_store())
            await workspace.refresh(info.profile_name)
            await workspace.activate(info.profile_name)
        except Exception as exc:  # noqa: BLE001 - shown with a remedy
            self.error.emit(error_info(exc))
            return
        self.info = info
        self.started.emit(info)

    async def _start_emulator(self, profiles: ProfileStore) -> DemoInfo:
        """Start the emulator (if needed) and write the demo profile + secrets.

        Raises:
            EmulatorError: the emulator could not start.
        """
        from relaydesk.emulator_process import EmulatorProcess

        if self._emulator is None:
            arguments = [
                "--port=0",
                f"--token-lifetime={self.token_lifetime!r}",
                f"--http-response-timeout={DEMO_HTTP_TIMEOUT!r}",
            ]
            if self._data_dir is not None:
                arguments.append(f"--data-dir={self._data_dir}")
            emulator = EmulatorProcess(arguments)
            try:
                await emulator.start()
            except BaseException:  # cancelled or failed half-way: end the child
                await asyncio.shield(emulator.stop())
                raise
            self._emulator = emulator
        running = self._emulator
        await self._write_profile(running, profiles)
        return DemoInfo(running.namespace, DEMO_PROFILE, self.token_lifetime)

    async def _write_profile(self, emulator: EmulatorProcess, profiles: ProfileStore) -> None:
        from relaydesk.profiles.model import IdentityConfig, Profile, ProxyConfig
        from relaydesk.secrets import Secret

        identities = emulator.identities
        host = f"https://{emulator.namespace}"

        def identity(name: str) -> IdentityConfig:
            return IdentityConfig(
                kind="entra",
                tenant_id=emulator.tenant_id,
                client_id=identities[name].client_id,
                authority_host=host,
                ca_file=str(emulator.ca_file),
            )

        profile = Profile(
            name=DEMO_PROFILE,
            address=f"sb://{emulator.namespace}/{DEMO_ENTITY}",
            listener=identity("listener"),
            sender=identity("sender"),
            # The emulator is on loopback: a corporate HTTPS_PROXY must not capture it.
            proxy=ProxyConfig(mode="none"),
        )
        profiles.save(profile, overwrite=True)
        for role in ("listener", "sender"):
            secret = Secret(identities[role].client_secret)
            self._workspace.secrets.keep_for_session(profile.secret_key(role), secret)

    async def cancel_start(self, grace: float = 0.2) -> None:
        """Stop a start-up still under way (shutdown), bounded by ``grace``."""
        await self._starting.stop(grace)

    async def stop(self) -> None:
        """End the emulator process (stdin closed, then SIGTERM, then kill: bounded)."""
        await self._starting.stop(0.2)
        await self._faults.stop(1.0)
        emulator, self._emulator = self._emulator, None
        if emulator is not None:
            await emulator.stop()

    # --- faults (plain methods for buttons) ------------------------------------------

    def expire_listener_token(self) -> None:
        """Close the listener's control channel with 1008 (token expired, §4.3)."""
        self._fault(self._expire(), "Listener token expired: watch it reconnect with a new token")

    def drop_control_channel(self) -> None:
        """Abort the control channel's TCP connection (no close frame)."""
        self._fault(self._drop(), "Control channel dropped: watch the listener reconnect")

    def toggle_slow_listener(self) -> None:
        """Hold HTTP responses beyond the deadline (senders get 504), or stop that."""
        self.slow = not self.slow
        text = (
            # The 504's remedy quotes Azure's 60 s deadline; the demo relay waits less.
            f"Listener is slow: HTTP now gets 504 after {DEMO_HTTP_TIMEOUT:.0f} s"
            " (demo relay; Azure waits 60 s)"
            if self.slow
            else "Listener answers HTTP requests promptly again"
        )
        self._fault(self._set_slow(self.slow), text)
        self.slow_changed.emit(self.slow)

    def toggle_sender_role(self) -> None:
        """Revoke the sender app's Azure Relay Sender role, or grant it back."""
        self.sender_role_revoked = not self.sender_role_revoked
        text = (
            "Sender role revoked: Connect or HTTP now fails with 403 and a remedy"
            if self.sender_role_revoked
            else "Sender role restored: Connect works again"
        )
        self._fault(self._set_sender_role(not self.sender_role_revoked), text)

    def _fault(self, coro: Any, text: str) -> None:
        if self._emulator is None:
            coro.close()
            self.fault_failed.emit(ErrorInfo("DemoNotRunning", "Demo mode is not running."))
            return
        self._faults.start(self._apply(coro, text))

    async def _apply(self, coro: Any, text: str) -> None:
        try:
            await coro
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.fault_failed.emit(error_info(exc))
            return
        self.fault_applied.emit(text)

    async def _admin(self, name: str, **arguments: object) -> None:
        """Apply one fault through the emulator's admin endpoint (it may have stopped)."""
        if self._emulator is None:
            raise EmulatorError("demo mode is not running")
        await self._emulator.fault(name, arguments)

    async def _expire(self) -> None:
        await self._admin("expire-listener-tokens", entity=DEMO_ENTITY)

    async def _drop(self) -> None:
        await self._admin("drop-control-channels", entity=DEMO_ENTITY)

    async def _set_slow(self, slow: bool) -> None:
        await self._admin("set-response-delay", seconds=DEMO_RESPONSE_DELAY if slow else None)

    async def _set_sender_role(self, granted: bool) -> None:
        name = "grant-role" if granted else "revoke-role"
        await self._admin(name, identity="sender", role=_ROLE_SENDER, scope=f"/{DEMO_ENTITY}")
