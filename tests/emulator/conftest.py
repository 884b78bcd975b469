"""Fixtures for relay tests: a real emulator over TLS on 127.0.0.1.

Clients here are written from the protocol reference with plain
``websockets`` and ``aiohttp`` (not RelayDesk's own client):

* ``make_emulator(**options)`` starts an :class:`Emulator` on port 0 with a
  fresh data dir (short timeouts by default) and stops it at teardown.
* ``emulator``: one such emulator; ``kit``: a :class:`RelayKit` around it
  (``kit.ssl`` trusts the emulator's CA).
* ``emulator_log`` (tests/emulator_log.py, for every package): the
  emulator's log lines, to wait for what it did.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect

from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.protocol.sas import build_sas_token

ROOT_RULE = "RootManageSharedAccessKey"

#: Options the tests use unless they say otherwise (timeouts shortened).
TEST_DEFAULTS: dict[str, Any] = {"http_response_timeout": 5.0, "rendezvous_timeout": 5.0}


@dataclass(frozen=True)
class HttpResult:
    """What an HTTP sender received."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RelayKit:
    """Plain-protocol client helpers bound to one running emulator."""

    emulator: Emulator
    ssl: ssl.SSLContext
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @property
    def ns(self) -> str:
        return self.emulator.namespace

    def key(self, rule: str = ROOT_RULE) -> str:
        return self.emulator.world.sas_rules[rule].primary_key

    def sas(
        self, rule: str = ROOT_RULE, entity: str = "demo", ttl: float = 3600, key: str | None = None
    ) -> str:
        """A SAS token for ``http://ns/entity`` (what Node and MS Python sign, §9.3)."""
        return build_sas_token(
            f"http://{self.ns}/{entity}",
            rule,
            key or self.key(rule),
            expires_at=int(time.time() + ttl),
        )

    async def entra_token(self, identity: str = "owner") -> str:
        """Client-credentials token from the emulator's Entra endpoint (§10.6)."""
        ident = self.emulator.world.identities[identity]
        form = {
            "client_id": ident.client_id,
            "client_secret": ident.client_secret,
            "grant_type": "client_credentials",
            "scope": "https://relay.azure.net/.default",
        }
        url = f"{self.emulator.authority}/oauth2/v2.0/token"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=form, ssl=self.ssl) as response,
        ):
            assert response.status == 200, await response.text()
            return str((await response.json())["access_token"])

    async def listen(
        self,
        entity: str = "demo",
        token: str | None = None,
        *,
        listener_id: str | None = None,
        in_query: bool = False,
        **kwargs: Any,
    ) -> ClientConnection:
        """Open a control channel (§4.1); token in the header unless ``in_query``."""
        token = self.sas(entity=entity) if token is None else token
        listener_id = listener_id or str(uuid.uuid4())
        url = f"wss://{self.ns}/$hc/{entity}?sb-hc-action=listen&sb-hc-id={listener_id}"
        headers = {}
        if in_query:
            url += "&sb-hc-token=" + _quote(token)
        elif token:
            headers["ServiceBusAuthorization"] = token
        return await connect(
            url, ssl=self.ssl, additional_headers=headers, max_size=None, compression=None, **kwargs
        )

    async def connect(
        self,
        entity: str = "demo",
        token: str | None = None,
        *,
        path: str = "",
        query: str = "",
        headers: dict[str, str] | None = None,
        action: str | None = "connect",
        **kwargs: Any,
    ) -> ClientConnection:
        """Open a WebSocket sender (§6). ``token=""`` sends none."""
        token = self.sas(entity=entity) if token is None else token
        params = [p for p in (query, f"sb-hc-action={action}" if action else "") if p]
        url = f"wss://{self.ns}/$hc/{entity}{path}" + ("?" + "&".join(params) if params else "")
        all_headers = dict(headers or {})
        if token:
            all_headers["ServiceBusAuthorization"] = token
        return await connect(
            url,
            ssl=self.ssl,
            additional_headers=all_headers,
            max_size=None,
            compression=None,
            open_timeout=15,
            **kwargs,
        )

    async def http(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> HttpResult:
        """One plain HTTPS request to ``https://ns{path}``."""
        body: Any = data
        if chunked and data is not None:

            async def gen() -> AsyncIterator[bytes]:
                for i in range(0, len(data), 16384):
                    yield data[i : i + 16384]

            body = gen()
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method,
                f"https://{self.ns}{path}",
                data=body,
                headers=headers or {},
                ssl=self.ssl,
                timeout=aiohttp.ClientTimeout(total=30),
            ) as response,
        ):
            return HttpResult(
                response.status,
                response.reason or "",
                dict(response.headers),
                await response.read(),
            )

    async def admin(
        self, name: str, args: dict[str, Any] | None = None, key: str | None = None
    ) -> HttpResult:
        """POST a fault to the admin endpoint."""
        headers = {"RelayDesk-Admin-Key": self.emulator.admin_key if key is None else key}
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{self.emulator.admin_url}/faults/{name}",
                json=args or {},
                headers=headers,
                ssl=self.ssl,
            ) as response,
        ):
            return HttpResult(
                response.status,
                response.reason or "",
                dict(response.headers),
                await response.read(),
            )

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run a background task that is cancelled at teardown."""
        task = asyncio.ensure_future(coro)
        self._tasks.append(task)
        return task

    async def serve(
        self,
        control: ClientConnection,
        *,
        ws: Callable[..., Awaitable[None]] | None = None,
        http: Callable[..., Awaitable[None]] | None = None,
    ) -> asyncio.Task[Any]:
        """Run a listener loop on ``control`` in the background (see :func:`listener_loop`)."""
        return self.spawn(listener_loop(self, control, ws=ws or echo_ws, http=http or echo_http))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


async def listener_loop(
    kit: RelayKit,
    control: ClientConnection,
    *,
    ws: Callable[..., Awaitable[None]],
    http: Callable[..., Awaitable[None]],
) -> None:
    """A minimal listener (§4.4): accepts → ``ws(kit, accept)`` tasks, inline
    requests (body read at once) and rendezvous-only requests → ``http``."""
    tasks: set[asyncio.Task[None]] = set()
    async for raw in control:
        command = json.loads(raw)
        if "accept" in command:
            task = asyncio.create_task(ws(kit, command["accept"]))
        else:
            request = command["request"]
            body = await control.recv() if request.get("body") else None
            task = asyncio.create_task(http(kit, control, request, body))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


async def echo_ws(kit: RelayKit, accept: dict[str, Any]) -> None:
    """Accept a rendezvous and echo every message back."""
    async with connect(accept["address"], ssl=kit.ssl, max_size=None, compression=None) as ws:
        with contextlib.suppress(Exception):
            async for message in ws:
                await ws.send(message)


async def echo_http(
    kit: RelayKit, control: ClientConnection, request: dict[str, Any], body: bytes | None
) -> None:
    """Answer 200 with the request body (inline, or via rendezvous when needed)."""
    if "method" not in request:  # rendezvous-only (§7.2)
        async with connect(
            request["address"], ssl=kit.ssl, max_size=None, compression=None
        ) as rendezvous:
            full = json.loads(await rendezvous.recv())["request"]
            data = await rendezvous.recv() if full.get("body") else b""
            await send_response(
                rendezvous, full["id"], 200, data, {"X-Target": full["requestTarget"]}
            )
        return
    await send_response(
        control, request["id"], 200, body or b"", {"X-Target": request["requestTarget"]}
    )


async def send_response(
    ws: ClientConnection,
    request_id: str,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
    description: str | None = None,
) -> None:
    """Send ``response`` (+ one binary body message) on ``ws`` (§7.3)."""
    response: dict[str, Any] = {
        "requestId": request_id,
        "statusCode": status,
        "responseHeaders": headers or {},
        "body": bool(body),
    }
    if description is not None:
        response["statusDescription"] = description
    await ws.send(json.dumps({"response": response}))
    if body:
        await ws.send(body)


@pytest_asyncio.fixture
async def make_emulator(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Emulator]]]:
    """Factory: start an emulator with ``TEST_DEFAULTS`` overridden by keyword options."""
    started: list[Emulator] = []

    async def factory(**options: Any) -> Emulator:
        merged = {**TEST_DEFAULTS, **options}
        merged.setdefault("data_dir", tmp_path / f"emu{len(started)}")
        emulator = Emulator(EmulatorOptions(**merged))
        await emulator.start()
        started.append(emulator)
        return emulator

    yield factory
    for emulator in started:
        await emulator.stop()


@pytest_asyncio.fixture
async def emulator(make_emulator: Callable[..., Awaitable[Emulator]]) -> Emulator:
    """A running emulator with test defaults."""
    return await make_emulator()


def kit_for(emulator: Emulator) -> RelayKit:
    """A :class:`RelayKit` trusting ``emulator``'s CA."""
    return RelayKit(emulator, ssl.create_default_context(cafile=str(emulator.ca_file)))


@pytest_asyncio.fixture
async def kit(emulator: Emulator) -> AsyncIterator[RelayKit]:
    """Client helpers for the ``emulator`` fixture."""
    relay_kit = kit_for(emulator)
    yield relay_kit
    await relay_kit.close()
