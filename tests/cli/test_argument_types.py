"""Hostile and odd command lines are usage errors: exit 2, one line naming the option.

The command runs as a subprocess: ``sys.argv`` and ``os.environ`` must reach
it as the operating system hands them over, decoded with ``surrogateescape``
(a byte that is not UTF-8 becomes a lone surrogate), which an in-process
call cannot reproduce faithfully.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from relaydesk.cli import main
from relaydesk.cli.argument_types import seconds, text
from relaydesk.profiles.model import IdentityConfig, Profile
from relaydesk.profiles.store import ProfileStore
from relaydesk.secrets import MemorySecretStore

ROOT = Path(__file__).resolve().parents[2]
#: Nothing listens there: every case must fail before any connection.
ADDRESS = "sb://127.0.0.1:9/demo"
SAS = ["--sas-key-name", "rule", "--sas-key-env", "RD_TEST_KEY"]
NOT_UTF8 = b"caf\xe9"


def relaydesk(
    *argv: str | bytes, env: dict[str, str | bytes] | None = None, stdin: bytes = b""
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m relaydesk`` with ``argv`` and extra environment, as bytes."""
    environ: dict[bytes, bytes] = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()}
    environ[b"RD_TEST_KEY"] = b"key"
    environ[b"PYTHONPATH"] = os.fsencode(ROOT)
    for name, value in (env or {}).items():
        environ[os.fsencode(name)] = value if isinstance(value, bytes) else os.fsencode(value)
    command = [os.fsencode(sys.executable), b"-m", b"relaydesk"]
    command += [arg if isinstance(arg, bytes) else os.fsencode(arg) for arg in argv]
    done = subprocess.run(
        command, env=environ, input=stdin, capture_output=True, timeout=60, cwd=ROOT
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def assert_usage_error(result: subprocess.CompletedProcess[str], option: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"relaydesk: error: {option}: "), lines
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["send", ADDRESS, *SAS, "--message", "hi", "--path", NOT_UTF8], "--path"),
        (["send", ADDRESS, *SAS, "--message", NOT_UTF8], "--message"),
        (["request", ADDRESS, *SAS, "--data", NOT_UTF8], "--data"),
        (["request", ADDRESS, *SAS, "--path", NOT_UTF8], "--path"),
        (["request", ADDRESS, *SAS, "--header", b"X-A: " + NOT_UTF8], "--header"),
        (["listen", ADDRESS, *SAS, "--http-body", NOT_UTF8], "--http-body"),
        (["send", "--profile", NOT_UTF8, "--message", "hi"], "--profile"),
        (["send", b"sb://127.0.0.1:9/" + NOT_UTF8, *SAS, "--message", "hi"], "ADDRESS"),
        (["check", ADDRESS, *SAS, "--message", NOT_UTF8], "--message"),
        (["send", ADDRESS, *SAS, "--message", "hi", "--proxy", b"http://" + NOT_UTF8], "--proxy"),
        (["send", ADDRESS, *SAS, "--message", "hi", "--proxy-user", NOT_UTF8], "--proxy-user"),
        (["listen", ADDRESS, *SAS, "--forward", b"http://" + NOT_UTF8], "--forward"),
        (["connect-port", ADDRESS, *SAS, "--port", "0", "--bind", NOT_UTF8], "--bind"),
    ],
)
def test_bytes_that_are_not_utf8_are_usage_errors(argv: list[str | bytes], option: str) -> None:
    assert_usage_error(relaydesk(*argv), option)


@pytest.mark.parametrize(
    ("command", "value"),
    [
        ("request", "inf"),
        ("request", "nan"),
        ("request", "0"),
        ("request", "-1"),
        ("request", "soon"),
        ("send", "inf"),
        ("send", "nan"),
        ("check", "-inf"),
        ("connect-port", "inf"),
    ],
)
def test_timeouts_that_mean_nothing_are_usage_errors(command: str, value: str) -> None:
    extra = {"send": ["--message", "hi"], "connect-port": ["--port", "0"]}.get(command, [])
    result = relaydesk(command, ADDRESS, *SAS, *extra, f"--timeout={value}")
    assert_usage_error(result, "--timeout")
    assert "positive, finite number of seconds" in result.stderr or "not a number" in result.stderr


def test_a_usage_error_is_one_json_object_with_json() -> None:
    result = relaydesk("send", ADDRESS, *SAS, "--message", NOT_UTF8, "--json")
    assert result.returncode == 2 and not result.stderr
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    assert (record["event"], record["kind"], record["exit_code"]) == ("error", "InvalidInput", 2)
    assert record["message"].startswith("--message: ")


def test_secrets_that_are_not_utf8_name_their_source() -> None:
    result = relaydesk("send", ADDRESS, *SAS, "--message", "hi", env={"RD_TEST_KEY": NOT_UTF8})
    assert_usage_error(result, "--sas-key-env")
    result = relaydesk(
        "send", ADDRESS, "--sas-key-name", "r", "--sas-key-stdin", "--message", "hi",
        stdin=NOT_UTF8 + b"\n",
    )  # fmt: skip
    assert_usage_error(result, "--sas-key-stdin")


def test_an_unknown_keyring_backend_is_a_usage_error(tmp_path: Path) -> None:
    store = ProfileStore(MemorySecretStore(), config_dir=tmp_path)
    identity = IdentityConfig(kind="sas", sas_key_name="rule")
    store.save(Profile(name="p", address=ADDRESS, listener=identity, sender=identity))
    result = relaydesk(
        "send",
        "--profile",
        "p",
        "--message",
        "hi",
        env={"RELAYDESK_CONFIG_DIR": str(tmp_path), "PYTHON_KEYRING_BACKEND": "nope.Nope"},
    )
    assert_usage_error(result, "PYTHON_KEYRING_BACKEND")
    assert "'nope.Nope'" in result.stderr


def test_argparse_errors_are_one_line_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", ADDRESS, "--message", "x", "--count", "many"]) == 2
    assert main(["send", ADDRESS]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("relaydesk: error: --count: invalid int value: 'many'")
    assert lines[1].startswith("relaydesk: error: usage: one of the arguments --message")
    assert len(lines) == 2


def test_the_types_themselves() -> None:
    assert text("café ✓") == "café ✓"
    assert seconds("1.5") == 1.5 and seconds("1e3") == 1000.0
    for bad in ("0", "-2", "nan", "inf", "x"):
        with pytest.raises(Exception, match="seconds"):
            seconds(bad)
    with pytest.raises(Exception, match="not UTF-8"):
        text(os.fsdecode(NOT_UTF8))
