"""The diagnosis against the emulator: every step passes, and each failure stops
at the right step with the right cause (DNS, port, CA, proxy, plain HTTP,
clock, listeners, gateway)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from relaydesk.auth.entra_provider import EntraTokenProvider
from relaydesk.auth.sas_provider import SasTokenProvider
from relaydesk.diagnose.model import (
    DIAGNOSE_STEPS,
    DiagnoseConfig,
    DiagnoseFinished,
    DiagnoseStatus,
    DiagnoseStep,
)
from relaydesk.diagnose.report import format_report
from relaydesk.diagnose.runner import run_diagnose
from relaydesk.emulator import Emulator
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.proxy import ProxySettings
from relaydesk.relay.listener import Listener
from relaydesk.relay.tls import make_ssl_context
from relaydesk.secrets import Secret
from tests.socks_proxy import Dante
from tests.tinyproxy import Tinyproxy, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

KEYS = [key for key, _ in DIAGNOSE_STEPS]


class Run:
    """The final event of each step, and the verdict."""

    def __init__(self, steps: dict[str, DiagnoseStep], finished: DiagnoseFinished) -> None:
        self.steps = steps
        self.finished = finished

    def status(self, key: str) -> str:
        return self.steps[key].status.value

    def statuses(self) -> dict[str, str]:
        return {key: self.status(key) for key in KEYS}

    def failed_at(self) -> str:
        assert not self.finished.passed
        (first,) = self.finished.failed_steps
        after = KEYS[KEYS.index(first) + 1 :]
        assert all(self.status(k) == "skipped" for k in after), self.statuses()
        return first


async def diagnose(config: DiagnoseConfig, clock: Callable[[], float] = time.time) -> Run:
    steps: dict[str, DiagnoseStep] = {}
    finished = None
    async with asyncio.timeout(120):
        async for event in run_diagnose(config, clock=clock):
            if isinstance(event, DiagnoseFinished):
                finished = event
            else:
                steps[event.step] = event
    assert finished is not None and list(steps) == KEYS
    return Run(steps, finished)


def _entra(emu: Emulator, identity: str = "owner", **kwargs: Any) -> EntraTokenProvider:
    ident = emu.world.identities[identity]
    return EntraTokenProvider(
        emu.tenant_id,
        ident.client_id,
        Secret(ident.client_secret),
        authority_host=f"https://{emu.namespace}",
        ca_file=emu.ca_file,
        **kwargs,
    )


def _address(
    emu: Emulator, host: str | None = None, port: int | None = None
) -> HybridConnectionAddress:
    where = f"{host or '127.0.0.1'}:{port or emu.port}"
    return HybridConnectionAddress.parse(f"sb://{where}/demo")


@pytest_asyncio.fixture
async def emulator(make_emulator: Callable[..., Awaitable[Emulator]]) -> Emulator:
    return await make_emulator(gateway_port=0, rendezvous_timeout=3.0)


@pytest_asyncio.fixture
async def online(emulator: Emulator) -> AsyncIterator[Listener]:
    """Someone else's listener, so the listener-presence step has one to count."""
    rule = emulator.world.sas_rules["RootManageSharedAccessKey"]
    tokens = SasTokenProvider(_address(emulator), rule.name, Secret(rule.primary_key))
    listener = Listener(_address(emulator), tokens, ssl_context=make_ssl_context(emulator.ca_file))
    await listener.start()
    yield listener
    await listener.stop()


async def test_every_step_passes_against_the_emulator(emulator: Emulator, online: Listener) -> None:
    tokens = _entra(emulator)
    try:
        run = await diagnose(
            DiagnoseConfig(
                _address(emulator), tokens, tokens, ca_file=emulator.ca_file, try_sender=True
            )
        )
    finally:
        tokens.close()
    assert run.finished.passed, run.statuses()
    assert set(run.statuses().values()) == {"ok"}
    tls = run.steps["tls"].seen
    assert tls["trusted"] is True and tls["issuer"] == "RelayDesk Emulator Local CA"
    assert "127.0.0.1" in tls["san"] and tls["version"].startswith("TLS")
    assert run.steps["relay"].seen["status"] == 401 and run.steps["relay"].seen["tracking_id"]
    assert run.steps["token"].seen["listener"]["aud"] == "https://relay.azure.net"
    assert run.steps["listeners"].seen["listener_count"] >= 1
    report = format_report(str(_address(emulator)), "system", run.steps.values(), run.finished)
    assert "relaydesk:" in report and "python:" in report and "PySide6" in report
    assert "result: passed" in report
    assert emulator.world.identities["owner"].client_secret not in report
    assert "eyJ" not in report  # no JWT


async def test_an_invalid_name_fails_at_name_resolution(emulator: Emulator) -> None:
    tokens = _entra(emulator)
    try:
        address = _address(emulator, host="relaydesk-test.invalid")  # RFC 6761: never resolves
        run = await diagnose(DiagnoseConfig(address, tokens, ca_file=emulator.ca_file))
    finally:
        tokens.close()
    assert run.failed_at() == "dns"
    assert "does not resolve" in run.steps["dns"].summary


async def test_a_closed_port_fails_at_tcp(emulator: Emulator) -> None:
    tokens = _entra(emulator)
    try:
        run = await diagnose(
            DiagnoseConfig(_address(emulator, port=free_port()), tokens, ca_file=emulator.ca_file)
        )
    finally:
        tokens.close()
    assert run.failed_at() == "tcp"
    assert run.steps["tcp"].error is not None and "443" in run.steps["tcp"].error.remedy


async def test_an_untrusted_ca_fails_at_tls_with_the_inspection_remedy(emulator: Emulator) -> None:
    tokens = _entra(emulator)
    try:
        run = await diagnose(DiagnoseConfig(_address(emulator), tokens, ca_file=None))
    finally:
        tokens.close()
    assert run.failed_at() == "tls"
    step = run.steps["tls"]
    assert step.error is not None and "TLS inspection" in step.error.remedy
    assert step.seen["trusted"] is False and step.seen["issuer"] == "RelayDesk Emulator Local CA"


async def test_a_refusing_proxy_fails_at_the_proxy_step(
    emulator: Emulator, make_tinyproxy: Callable[..., Tinyproxy]
) -> None:
    proxy = make_tinyproxy([443])  # not the emulator's port: 403 from the proxy
    tokens = _entra(emulator)
    try:
        run = await diagnose(
            DiagnoseConfig(
                _address(emulator),
                tokens,
                ca_file=emulator.ca_file,
                proxy=ProxySettings.explicit(proxy.url),
            )
        )
    finally:
        tokens.close()
    assert run.failed_at() == "proxy"
    error = run.steps["proxy"].error
    assert error is not None and error.kind == "ProxyRefused" and "403" in error.message


async def test_everything_through_a_proxy_passes_and_shows_in_its_log(
    emulator: Emulator, online: Listener, make_tinyproxy: Callable[..., Tinyproxy]
) -> None:
    proxy = make_tinyproxy([emulator.port, emulator.gateway_port])
    settings = ProxySettings.explicit(proxy.url)
    tokens = _entra(emulator, proxy=settings)
    try:
        run = await diagnose(
            DiagnoseConfig(
                _address(emulator),
                tokens,
                tokens,
                ca_file=emulator.ca_file,
                proxy=settings,
                try_sender=True,
            )
        )
    finally:
        tokens.close()
    assert run.finished.passed, run.statuses()
    assert run.steps["proxy"].seen["proxy"] == proxy.url
    assert len(proxy.connects()) >= 6


async def test_a_plain_http_port_fails_at_tls(emulator: Emulator) -> None:
    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    tokens = _entra(emulator)
    try:
        run = await diagnose(
            DiagnoseConfig(_address(emulator, port=port), tokens, ca_file=emulator.ca_file)
        )
    finally:
        tokens.close()
        await runner.cleanup()
    assert run.failed_at() == "tls"
    assert "does not speak TLS" in run.steps["tls"].summary


async def test_a_wrong_clock_fails_at_the_token_step(emulator: Emulator) -> None:
    tokens = _entra(emulator)
    try:
        run = await diagnose(
            DiagnoseConfig(_address(emulator), tokens, ca_file=emulator.ca_file),
            clock=lambda: time.time() + 3600,  # this machine an hour ahead
        )
    finally:
        tokens.close()
    assert run.failed_at() == "token"
    step = run.steps["token"]
    assert "ahead of" in step.summary and step.error is not None and "NTP" in step.error.remedy
    assert step.seen["clock_skew_s"] > 3000


async def test_no_listener_fails_at_listener_presence(emulator: Emulator) -> None:
    tokens = _entra(emulator)
    try:
        run = await diagnose(DiagnoseConfig(_address(emulator), tokens, ca_file=emulator.ca_file))
    finally:
        tokens.close()
    assert run.failed_at() == "listeners"
    assert run.steps["listeners"].seen["listener_count"] == 0
    assert run.steps["relay"].status is DiagnoseStatus.OK


async def test_a_blocked_gateway_host_gets_the_firewall_advice(
    emulator: Emulator, online: Listener
) -> None:
    await emulator.close_gateway()  # the namespace port works, the rendezvous port does not
    tokens = _entra(emulator)
    try:
        run = await diagnose(
            DiagnoseConfig(
                _address(emulator),
                tokens,
                tokens,
                ca_file=emulator.ca_file,
                try_sender=True,
                step_timeout=10.0,
            )
        )
    finally:
        tokens.close()
    assert run.failed_at() == "gateway"
    step = run.steps["gateway"]
    assert f"127.0.0.1:{emulator.gateway_port}" in step.summary
    assert step.error is not None and "gateway hosts on port 443" in step.error.remedy
    assert "learn.microsoft.com" in step.error.remedy


async def test_without_send_the_gateway_step_is_skipped_and_sas_has_no_authority(
    emulator: Emulator, online: Listener, tmp_path: Path
) -> None:
    rule = emulator.world.sas_rules["listen-only"]
    tokens = SasTokenProvider(_address(emulator), rule.name, Secret(rule.primary_key))
    run = await diagnose(DiagnoseConfig(_address(emulator), tokens, ca_file=emulator.ca_file))
    assert run.finished.passed, run.statuses()
    assert run.status("authority") == "skipped" and run.status("gateway") == "skipped"
    assert "--send" in run.steps["gateway"].summary


async def test_the_diagnosis_walks_a_socks5_proxy(
    emulator: Emulator, online: Listener, make_dante: Callable[..., Dante]
) -> None:
    proxy = make_dante([emulator.port])
    settings = ProxySettings.explicit(proxy.url)
    tokens = _entra(emulator, proxy=settings)
    try:
        run = await diagnose(
            DiagnoseConfig(_address(emulator), tokens, ca_file=emulator.ca_file, proxy=settings)
        )
    finally:
        tokens.close()
    assert run.finished.passed, run.statuses()
    assert run.steps["proxy"].seen["proxy"] == proxy.url
    assert proxy.connects()
