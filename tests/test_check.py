"""relaydesk.check: the connectivity check as an async generator, on the real emulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from relaydesk.auth.entra_provider import EntraTokenProvider
from relaydesk.auth.sas_provider import SasTokenProvider
from relaydesk.check import (
    CHECK_STEPS,
    CheckConfig,
    CheckFinished,
    CheckStepEvent,
    StepStatus,
    run_check,
)
from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.errors import NoListener
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.secrets import Secret

pytestmark = pytest.mark.e2e

KEYS = [key for key, _ in CHECK_STEPS]


@pytest_asyncio.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[Emulator]:
    async with Emulator(
        EmulatorOptions(data_dir=tmp_path, http_response_timeout=5, rendezvous_timeout=5)
    ) as emu:
        yield emu


def _entra(emu: Emulator, name: str, secret: str | None = None) -> EntraTokenProvider:
    identity = emu.world.identities[name]
    return EntraTokenProvider(
        emu.tenant_id,
        identity.client_id,
        Secret(secret or identity.client_secret),
        authority_host=f"https://{emu.namespace}",
        ca_file=emu.ca_file,
    )


def _config(emu: Emulator, listener: str, sender: str, entity: str = "demo", **kw) -> CheckConfig:
    return CheckConfig(
        address=HybridConnectionAddress.parse(f"sb://{emu.namespace}/{entity}"),
        listener_tokens=_entra(emu, listener, kw.pop("listener_secret", None)),
        sender_tokens=_entra(emu, sender),
        ca_file=emu.ca_file,
        **kw,
    )


async def _collect(config: CheckConfig) -> list[CheckStepEvent | CheckFinished]:
    async with asyncio.timeout(60):
        return [event async for event in run_check(config)]


def _final(events: list[CheckStepEvent | CheckFinished]) -> dict[str, CheckStepEvent]:
    return {e.step: e for e in events if isinstance(e, CheckStepEvent)}


@pytest.mark.asyncio
async def test_every_step_runs_then_passes_on_the_default_world(emulator: Emulator) -> None:
    events = await _collect(_config(emulator, "listener", "sender", message="ping"))
    steps = [e for e in events if isinstance(e, CheckStepEvent)]
    assert [(e.step, e.status) for e in steps] == [
        (key, status) for key in KEYS for status in (StepStatus.RUNNING, StepStatus.PASSED)
    ]
    assert all(e.side == "check" for e in events)
    assert all(e.duration is not None and e.duration >= 0 for e in steps[1::2])
    finished = events[-1]
    assert isinstance(finished, CheckFinished)
    assert finished.passed and finished.failed_step is None
    tokens = _final(events)["token"].tokens
    assert [t.identity for t in tokens] == [
        emulator.world.identities["listener"].client_id,
        emulator.world.identities["sender"].client_id,
    ]
    assert "4 B echoed" in _final(events)["message_round_trip"].detail


@pytest.mark.asyncio
async def test_a_failure_gives_cause_remedy_and_skips_the_rest(emulator: Emulator) -> None:
    events = await _collect(_config(emulator, "listener", "sender", listener_secret="wrong"))
    final = _final(events)
    token = final["token"]
    assert token.status is StepStatus.FAILED
    assert token.error is not None
    assert token.error.kind == "EntraError"
    assert "AADSTS7000215" in token.error.message
    assert token.error.remedy
    assert token.error.tracking_id  # Entra's trace id
    assert [final[k].status for k in KEYS[1:]] == [StepStatus.SKIPPED] * 4
    finished = events[-1]
    assert isinstance(finished, CheckFinished)
    assert not finished.passed and finished.failed_step == "token"
    secret = emulator.world.identities["listener"].client_secret
    assert all(secret not in repr(e) for e in events)


@pytest.mark.asyncio
async def test_forbidden_listener_and_unknown_entity(emulator: Emulator) -> None:
    final = _final(await _collect(_config(emulator, "sender", "sender")))
    online = final["listener_online"]
    assert online.status is StepStatus.FAILED and online.error is not None
    assert online.error.status == 403 and "Azure Relay Listener" in online.error.remedy

    final = _final(await _collect(_config(emulator, "owner", "owner", entity="nope")))
    assert final["listener_online"].error is not None
    assert final["listener_online"].error.status == 404


@pytest.mark.asyncio
async def test_the_check_closes_its_listener_even_when_left_early(emulator: Emulator) -> None:
    config = _config(emulator, "listener", "sender")
    async with contextlib.aclosing(run_check(config)) as events:
        async for event in events:
            if event.step == "sender_connected" and event.status is StepStatus.PASSED:
                break
    # No listener is left online: an HTTP sender now gets 502 from the relay.
    from relaydesk.relay.http_sender import http_request
    from relaydesk.relay.tls import make_ssl_context

    rule = emulator.world.sas_rules["send-only"]
    tokens = SasTokenProvider(config.address, rule.name, Secret(rule.primary_key))
    with pytest.raises(NoListener):
        await http_request(
            config.address, tokens, ssl_context=make_ssl_context(emulator.ca_file), timeout=20
        )


@pytest.mark.asyncio
async def test_a_step_that_takes_too_long_fails_with_a_timeout(emulator: Emulator) -> None:
    await emulator.faults.set_response_delay(3.0)
    try:
        final = _final(await _collect(_config(emulator, "listener", "sender", step_timeout=1.0)))
    finally:
        await emulator.faults.set_response_delay(None)
    failed = [e for e in final.values() if e.status is StepStatus.FAILED]
    assert len(failed) == 1
    assert failed[0].error is not None
    assert failed[0].error.kind == "CheckStepFailed"
    assert "within 1 s" in failed[0].error.message
