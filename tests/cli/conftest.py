"""Fixtures for CLI tests: one real emulator over TLS on 127.0.0.1, in a thread.

``relaydesk.cli.main`` runs its own event loop (``asyncio.run``), so the
emulator cannot share it: it runs on a private loop in a background thread
for the whole session. ``world`` describes it (the ready line), and
``cli_args``/``env`` build the options and environment a user would pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.protocol.address import HybridConnectionAddress

T = TypeVar("T")

#: Environment variable names the tests put secrets in.
LISTENER_SECRET_ENV = "RD_TEST_LISTENER_SECRET"
SENDER_SECRET_ENV = "RD_TEST_SENDER_SECRET"


class EmulatorThread:
    """An :class:`Emulator` on its own event loop in a daemon thread."""

    def __init__(self, options: EmulatorOptions) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.emulator = Emulator(options)
        self.call(self.emulator.start())

    def call(self, coro: Awaitable[T], timeout: float = 60.0) -> T:
        """Run ``coro`` on the emulator's loop and wait for its result."""

        async def wrapper() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(timeout)

    def stop(self) -> None:
        try:
            self.call(self.emulator.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()


@dataclass(frozen=True)
class World:
    """The emulator's ready line, with helpers to pick identities and rules."""

    info: dict[str, Any]

    @property
    def namespace(self) -> str:
        return str(self.info["namespace"])

    def address(self, entity: str = "demo") -> str:
        return f"sb://{self.namespace}/{entity}"

    def identity(self, name: str) -> dict[str, Any]:
        return next(i for i in self.info["identities"] if i["name"] == name)

    def user(self, name: str) -> dict[str, Any]:
        return next(u for u in self.info["users"] if u["name"] == name)

    def rule(self, name: str) -> dict[str, Any]:
        return next(r for r in self.info["sas_rules"] if r["name"] == name)

    def secrets(self) -> list[str]:
        """Every secret and key the emulator hands out (for leak scans)."""
        values = [i["client_secret"] for i in self.info["identities"]]
        values += [r["key"] for r in self.info["sas_rules"]]
        values += [u["password"] for u in self.info.get("users", [])]
        values.append(self.info["admin_key"])
        return [v for v in values if v]

    def entra_args(self, *, listener: str = "listener", sender: str | None = "sender") -> list[str]:
        """Options for Entra identities; secrets come from the test env vars."""
        args = [
            "--ca-file",
            str(self.info["ca_file"]),
            "--authority-host",
            str(self.info["authority"]),
            "--tenant-id",
            str(self.info["tenant_id"]),
            "--client-id",
            self.identity(listener)["client_id"],
            "--client-secret-env",
            LISTENER_SECRET_ENV,
        ]
        if sender is not None:
            args += [
                "--sender-client-id",
                self.identity(sender)["client_id"],
                "--sender-client-secret-env",
                SENDER_SECRET_ENV,
            ]
        return args

    def env(self, *, listener: str = "listener", sender: str = "sender") -> dict[str, str]:
        return {
            LISTENER_SECRET_ENV: self.identity(listener)["client_secret"],
            SENDER_SECRET_ENV: self.identity(sender)["client_secret"],
        }


@pytest.fixture(scope="session")
def emulator_thread(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorThread]:
    """One emulator for the CLI tests (short HTTP/rendezvous timeouts)."""
    data_dir: Path = tmp_path_factory.mktemp("cli-emulator")
    options = EmulatorOptions(
        data_dir=data_dir,
        http_response_timeout=10.0,
        rendezvous_timeout=10.0,
        device_code_interval=1,
    )
    thread = EmulatorThread(options)
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def world(emulator_thread: EmulatorThread) -> World:
    return World(emulator_thread.emulator.ready_info())


@pytest.fixture
def secret_env(world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Put the listener's and sender's secrets into the test env vars."""
    env = world.env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def assert_no_secret(world: World, *texts: str) -> None:
    """Fail if any secret or key of the emulator appears in ``texts``."""
    for text in texts:
        for secret in world.secrets():
            assert secret not in text, "a secret leaked into the output"


class BackgroundListener:
    """A RelayDesk :class:`Listener` running on the emulator's loop.

    Used to test the sender commands (``send``, ``request``) in-process: the
    command under test runs its own loop in the main thread.
    """

    def __init__(self, thread: EmulatorThread, world: World, entity: str, **kwargs: Any) -> None:
        self._thread = thread
        self._world = world
        self._entity = entity
        self._kwargs = kwargs
        self.listener: Any = None

    async def _start(self) -> None:
        from relaydesk.auth.sas_provider import SasTokenProvider
        from relaydesk.protocol.address import HybridConnectionAddress
        from relaydesk.relay.listener import Listener
        from relaydesk.relay.tls import make_ssl_context
        from relaydesk.secrets import Secret

        address = HybridConnectionAddress.parse(self._world.address(self._entity))
        rule = self._world.rule("RootManageSharedAccessKey")
        tokens = SasTokenProvider(address, rule["name"], Secret(rule["key"]))
        self.listener = Listener(
            address,
            tokens,
            ssl_context=make_ssl_context(self._world.info["ca_file"]),
            **self._kwargs,
        )
        await self.listener.start()

    def __enter__(self) -> BackgroundListener:
        self._thread.call(self._start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.listener is not None:
            self._thread.call(self.listener.stop())


@pytest.fixture
def background_listener(
    emulator_thread: EmulatorThread, world: World
) -> Callable[..., BackgroundListener]:
    """Factory: ``with background_listener("demo", options=…, http_handler=…):``."""

    def factory(entity: str = "demo", **kwargs: Any) -> BackgroundListener:
        return BackgroundListener(emulator_thread, world, entity, **kwargs)

    return factory


class CliOutput:
    """Everything the CLI printed so far, shared with a test's driver thread.

    A driver waits for the record that says the command is ready (``online``,
    ``port``) instead of retrying until it answers.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._changed = threading.Condition()

    def append(self, text: str) -> None:
        with self._changed:
            self._parts.append(text)
            self._changed.notify_all()

    def text(self) -> str:
        with self._changed:
            return "".join(self._parts)

    def _events(self) -> list[str]:
        """The event name of each complete line: JSON ``event`` or the word after the time."""
        names = []
        for line in "".join(self._parts).splitlines(keepends=True):
            if not line.endswith("\n"):
                break
            if line.startswith("{"):
                with contextlib.suppress(ValueError, AttributeError):
                    names.append(str(json.loads(line).get("event")))
            elif len(words := line.split()) > 1:
                names.append(words[1])
        return names

    def wait_for_event(self, name: str, timeout: float = 20.0) -> None:
        """Block until the command printed an ``name`` record (for a driver thread)."""
        with self._changed:
            if not self._changed.wait_for(lambda: name in self._events(), timeout):
                raise AssertionError(f"the command printed no {name!r} record: {self._parts}")


class _Tee:
    """Write to the current ``sys.stdout``/``sys.stderr`` and keep a copy."""

    def __init__(self, stream: str, sink: CliOutput) -> None:
        self._stream = stream
        self._sink = sink

    def write(self, text: str) -> int:
        self._sink.append(text)
        return int(getattr(sys, self._stream).write(text))

    def flush(self) -> None:
        getattr(sys, self._stream).flush()


@pytest.fixture(autouse=True)
def _no_secret_in_any_output(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every CLI test that uses the emulator: nothing the CLI prints holds a secret.

    Everything :class:`~relaydesk.cli.output.Output` writes (events, errors,
    warnings, tracebacks) is copied and scanned for every secret and key of
    the emulator's ready line at teardown.
    """
    if "world" not in request.fixturenames:
        yield
        return
    from relaydesk.cli.output import Output

    written: CliOutput = request.getfixturevalue("cli_output")
    monkeypatch.setattr(Output, "out", property(lambda self: _Tee("stdout", written)))
    monkeypatch.setattr(Output, "err", property(lambda self: _Tee("stderr", written)))
    yield
    assert_no_secret(request.getfixturevalue("world"), written.text())


@pytest.fixture
def cli_output() -> CliOutput:
    """What the CLI prints in a test that uses ``world`` (copied as it is written)."""
    return CliOutput()


def json_records(text: str) -> list[dict[str, Any]]:
    """The JSON-lines records a command wrote (``--json`` output), in order."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def drive_then_interrupt(driver: Callable[[], Awaitable[Any]]) -> tuple[threading.Thread, dict]:
    """Run ``driver`` in a thread, then SIGINT this process while the command runs.

    The test sets ``result["returned"]`` once ``main`` has returned. A driver
    that succeeded leaves the command serving: it is interrupted at once. One
    that failed may have failed because the command ended: it waits up to 5 s
    for that before interrupting, so the signal never reaches pytest itself.
    """
    returned = threading.Event()
    result: dict[str, Any] = {"returned": returned}

    def body() -> None:
        try:
            result["value"] = asyncio.run(driver())
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            result["error"] = exc
            returned.wait(5)
        finally:
            if not returned.is_set():
                os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, result


async def sas_sender(world: World, entity: str = "demo") -> Any:
    """The emulator's send-only SAS rule for ``entity``: its address and token provider."""
    from relaydesk.auth.sas_provider import SasTokenProvider
    from relaydesk.secrets import Secret

    rule = world.rule("send-only")
    address = HybridConnectionAddress.parse(world.address(entity))
    return address, SasTokenProvider(address, rule["name"], Secret(rule["key"]))


async def until_listener(output: CliOutput, attempt: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``attempt`` once the command says its listener is online."""
    await asyncio.to_thread(output.wait_for_event, "online")
    return await attempt()
