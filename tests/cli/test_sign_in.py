"""``--sign-in``: a person signs in (device code, browser), once, then silently; sign-out.

Everything real: the CLI runs as ``python -m relaydesk`` against the emulator
over TLS; the sign-in is kept in a real Secret Service (gnome-keyring in a
private D-Bus session); the device code is entered by this test posting the
emulator's verification form while the CLI waits; the browser flow is driven
by headless Chromium (``tests/browser_sign_in.py``) through ``$BROWSER``.
After each full session the test asserts that no password, access token or
refresh token shows in the output, the config dir or the exception texts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from relaydesk.emulator import EmulatorOptions
from relaydesk.errors import ConsentRequired, UserNotInTenant
from relaydesk.remedies import remedy_for
from tests.cli.conftest import EmulatorThread, World, assert_no_secret
from tests.keyring_service import run_secret_service

pytestmark = [pytest.mark.e2e, pytest.mark.keyring]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"


def _sign_in_args(world: World, flow: str, *, prefix: str = "") -> list[str]:
    args = [f"--{prefix}sign-in", flow]
    if not prefix:
        args += [
            "--authority-host",
            str(world.info["authority"]),
            "--ca-file",
            str(world.info["ca_file"]),
        ]
    return args


@pytest.fixture
def session_env(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """A private Secret Service and config dir; the environment for ``python -m relaydesk``."""
    with run_secret_service(tmp_path / "keyring", monkeypatch):
        env = {k: v for k, v in os.environ.items() if not k.startswith("RD_TEST_")}
        env.update(RELAYDESK_CONFIG_DIR=str(tmp_path / "config"), PYTHONPATH=str(ROOT))
        env.pop("BROWSER", None)
        yield env


def _start(env: dict[str, str], *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "relaydesk", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relaydesk", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=90,
        check=False,
    )


def _silent_run(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    """A run that must not ask anyone: fail at once (with its stderr) if it shows a code."""
    process = _start(env, *argv)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if '"device_code"' in first:
            process.kill()
            _, err = process.communicate()
            pytest.fail(f"the run asked for a device code instead of renewing silently: {err}")
        out, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, first + out, err


def _records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _enter_code(world: World, prompt: dict[str, Any], user: str, *, cancel: bool = False) -> str:
    """What a person does on the verification page: the code, then the credentials."""
    account = world.user(user)
    with requests.Session() as http:
        http.trust_env = False
        http.verify = str(world.info["ca_file"])
        step1 = http.post(prompt["verification_uri"], data={"otc": prompt["user_code"]}, timeout=30)
        assert step1.status_code == 200 and "id='login'" in step1.text
        fields = {
            "otc": prompt["user_code"],
            "login": account["upn"],
            "passwd": account["password"],
        }
        if cancel:
            fields = {"otc": prompt["user_code"], "cancel": "1"}
        step2 = http.post(prompt["verification_uri"], data=fields, timeout=30)
        assert step2.status_code == 200
        return step2.text


def _device_code_run(
    world: World,
    env: dict[str, str],
    user: str,
    *argv: str,
    cancel: bool = False,
    page_says: str = "signed in as",
) -> tuple[int, str, str]:
    process = _start(env, *argv)
    try:
        assert process.stdout is not None
        before = []
        while True:  # a check reports its first step before it asks for the token
            line = process.stdout.readline()
            assert line, "the command ended without asking for a device code"
            before.append(line)
            first = json.loads(line)
            if first["event"] == "device_code":
                break
        assert set(first) == {"event", "verification_uri", "user_code", "expires_in"}
        page = _enter_code(world, first, user, cancel=cancel)
        out, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert page_says in page or cancel, page
    return process.returncode, "".join(before) + out, err


def _assert_nothing_leaked(world: World, config_dir: Path, *texts: str) -> None:
    """No password, token (JWTs start with eyJ) or refresh token in output or files."""
    files = [p.read_text(errors="replace") for p in config_dir.rglob("*") if p.is_file()]
    for text in [*texts, *files]:
        assert "eyJ" not in text, "a token leaked"
        assert "refresh_token" not in text and "access_token" not in text
    assert_no_secret(world, *texts, *files)


def test_device_code_sign_in_is_kept_renewed_silently_and_forgotten_on_sign_out(
    world: World, session_env: dict[str, str], tmp_path: Path
) -> None:
    token_cmd = ["token", world.address(), *_sign_in_args(world, "device-code"), "--json"]
    code, out1, err1 = _device_code_run(world, session_env, "listener-user", *token_cmd)
    assert code == 0, err1
    token = _records(out1)[-1]
    assert token["event"] == "token" and token["from_cache"] is False
    upn = world.user("listener-user")["upn"]
    assert token["identity"] == upn
    claims = token["claims"]
    assert (claims["upn"], claims["scp"]) == (upn, "user_impersonation")
    assert claims["oid"] == world.user("listener-user")["object_id"]

    code2, out2, err2 = _silent_run(session_env, *token_cmd)  # from the persisted cache
    assert code2 == 0, err2
    records = _records(out2)
    assert [r["event"] for r in records] == ["token"]
    assert records[0]["identity"] == upn and records[0]["from_cache"] is True

    signed_out = _run(session_env, "sign-out", "--json")
    assert signed_out.returncode == 0, signed_out.stderr
    assert _records(signed_out.stdout)[0]["accounts"] == [upn]

    code, out3, err3 = _device_code_run(  # interactive again; the person cancels
        world, session_env, "listener-user", *token_cmd, cancel=True
    )
    assert code == 3, err3
    error = _records(out3)[-1]
    assert error["event"] == "error" and "Sign in again" in error["remedy"]
    _assert_nothing_leaked(
        world,
        tmp_path / "config",
        out1,
        err1,
        out2,
        err2,
        signed_out.stdout,
        out3,
        err3,
    )


def test_users_listen_and_send_by_their_roles_and_no_role_gets_403(
    world: World, session_env: dict[str, str], tmp_path: Path
) -> None:
    """``check`` with a Listener user and a Sender user, each signed in by device code."""
    argv = [
        "check",
        world.address(),
        *_sign_in_args(world, "device-code"),
        *_sign_in_args(world, "device-code", prefix="sender-"),
        "--json",
    ]
    process = _start(session_env, *argv)
    try:
        assert process.stdout is not None
        texts = []
        users = ["listener-user", "sender-user"]  # the check gets the listener's token first
        while users:
            line = process.stdout.readline()
            assert line, "the check ended before both people signed in"
            texts.append(line)
            prompt = json.loads(line)
            if prompt["event"] == "device_code":
                _enter_code(world, prompt, users.pop(0))
        out, err = process.communicate(timeout=90)
        out = "".join(texts) + out
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    records = _records(out)
    assert process.returncode == 0, out + err
    assert next(r for r in records if r["event"] == "result")["passed"] is True

    assert _run(session_env, "sign-out").returncode == 0  # else listener-user signs in silently
    code, out2, err2 = _device_code_run(
        world,
        session_env,
        "no-role-user",
        "check",
        world.address(),
        *_sign_in_args(world, "device-code"),
        "--json",
    )
    assert code == 3, out2 + err2
    failed = [r for r in _records(out2) if r.get("status") == "failed"]
    assert failed, out2
    assert "Azure Relay Listener role" in json.dumps(failed)
    _assert_nothing_leaked(world, tmp_path / "config", *texts, out, err, out2, err2)


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium")
def test_browser_sign_in_with_headless_chromium(
    world: World, session_env: dict[str, str], tmp_path: Path
) -> None:
    driver = ROOT / "tests" / "browser_sign_in.py"
    user = world.user("sender-user")
    env = {
        **session_env,
        "BROWSER": f"{sys.executable} {driver} %s",
        "RD_TEST_LOGIN": user["upn"],
        "RD_TEST_PASSWORD": user["password"],
    }
    argv = ["token", world.address(), *_sign_in_args(world, "browser"), "--json"]
    first = _run(env, *argv)
    assert first.returncode == 0, first.stdout + first.stderr
    records = _records(first.stdout)
    assert [r["event"] for r in records] == ["sign_in", "token"]
    assert records[-1]["claims"]["upn"] == user["upn"]
    assert records[-1]["from_cache"] is False

    env["BROWSER"] = "false"  # a second run must not open a browser at all
    second = _run(env, *argv)
    assert second.returncode == 0, second.stdout + second.stderr
    assert [r["event"] for r in _records(second.stdout)] == ["token"]
    _assert_nothing_leaked(
        world, tmp_path / "config", first.stdout, first.stderr, second.stdout, second.stderr
    )


#: A tenant where Entra refuses people after a right password: an app nobody
#: consented to, and an account of another tenant that was never invited.
REFUSING_WORLD = """
[[hybrid_connections]]
name = "demo"

[[identities]]
name = "unconsented-app"
user_consent = []

[[users]]
name = "member-user"
roles = [{role = "Azure Relay Listener", scope = "/demo"}]

[[users]]
name = "guest-user"
home_tenant = "fabrikam.example"
roles = [{role = "Azure Relay Listener", scope = "/demo"}]
"""


@pytest.fixture(scope="module")
def refusing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorThread]:
    data_dir = tmp_path_factory.mktemp("refusing-emulator")
    config = data_dir / "world.toml"
    config.write_text(REFUSING_WORLD)
    options = EmulatorOptions(
        data_dir=data_dir,
        config_file=config,
        device_code_interval=1,
        token_lifetime=120,  # under MSAL's 5-minute margin: every later run renews
    )
    thread = EmulatorThread(options)
    yield thread
    thread.stop()


def _refused(
    refusing: EmulatorThread, env: dict[str, str], user: str, aadsts: str, *extra: str
) -> dict[str, Any]:
    """A device-code ``token`` run that the emulated Entra refuses after the password."""
    world = World(refusing.emulator.ready_info())
    argv = ["token", world.address(), *_sign_in_args(world, "device-code"), *extra, "--json"]
    code, out, err = _device_code_run(world, env, user, *argv, page_says=aadsts)
    error = _records(out)[-1]
    assert code == 3 == error["exit_code"], out + err
    assert "Traceback" not in err
    _assert_nothing_leaked(world, Path(env["RELAYDESK_CONFIG_DIR"]), out, err)
    return dict(error)


def test_an_app_nobody_consented_to_ends_in_consent_required(
    refusing: EmulatorThread, session_env: dict[str, str]
) -> None:
    world = World(refusing.emulator.ready_info())
    app = world.identity("unconsented-app")
    error = _refused(
        refusing, session_env, "member-user", "AADSTS65001", "--client-id", app["client_id"]
    )
    assert error["kind"] == "ConsentRequired" and error["aadsts_code"] == 65001, error
    assert error["remedy"] == remedy_for(ConsentRequired("x"), edge="cli")
    assert "has not consented" in error["message"]


def test_an_account_of_another_tenant_ends_in_user_not_in_tenant(
    refusing: EmulatorThread, session_env: dict[str, str]
) -> None:
    error = _refused(refusing, session_env, "guest-user", "AADSTS50020")
    assert error["kind"] == "UserNotInTenant" and error["aadsts_code"] == 50020, error
    assert error["remedy"] == remedy_for(UserNotInTenant("x"), edge="cli")
    assert "does not exist in tenant" in error["message"]


def test_interaction_required_on_renewal_asks_the_person_again(
    refusing: EmulatorThread, session_env: dict[str, str]
) -> None:
    """Conditional access / MFA: Entra refuses the refresh token (AADSTS50078); the next
    run does not fail silently but shows a new device code, and signing in again works."""
    world = World(refusing.emulator.ready_info())
    argv = ["token", world.address(), *_sign_in_args(world, "device-code"), "--json"]
    code, out1, err1 = _device_code_run(world, session_env, "member-user", *argv)
    assert code == 0, err1
    code, out2, err2 = _silent_run(session_env, *argv)  # renewed by the refresh token
    assert code == 0, err2
    assert _records(out2)[-1]["from_cache"] is False
    dropped = refusing.call(refusing.emulator.faults.require_sign_in_again())
    assert dropped >= 1
    code, out3, err3 = _device_code_run(world, session_env, "member-user", *argv)
    assert code == 0, err3
    token = _records(out3)[-1]
    assert token["event"] == "token" and token["from_cache"] is False
    _assert_nothing_leaked(
        world, Path(session_env["RELAYDESK_CONFIG_DIR"]), out1, err1, out2, err2, out3, err3
    )
