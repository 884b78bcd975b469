"""The relaydesk command's dispatch: GUI start vs subcommands."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from relaydesk.cli import SUBCOMMANDS, build_gui_parser, build_parser, main, wants_subcommand


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], False),
        (["--demo"], False),
        (["--demo", "--self-test", "--screenshot", "x.png"], False),
        (["--profile", "listen"], False),  # a profile named like a subcommand
        (["--token-lifetime", "60"], False),
        (["emulator"], True),
        (["--help"], True),
        (["--version"], True),
        (["lisen"], True),  # a typo still reaches argparse's "invalid choice"
    ],
)
def test_gui_start_or_subcommand(argv: list[str], expected: bool) -> None:
    assert wants_subcommand(argv) is expected


def test_gui_parser_knows_the_app_options() -> None:
    args = build_gui_parser().parse_args(["--demo", "--profile", "Local demo"])
    assert args.demo is True and args.profile == "Local demo"


def test_mistyped_subcommand_is_named_in_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lisen"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("relaydesk: error: COMMAND: invalid choice: 'lisen'")


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(action.choices)


def test_a_named_subcommand_gets_the_only_subparser_and_help_lists_them_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Building the others' parsers is start-up time a known command never shows."""
    assert _commands(build_parser("send")) == ["send"]
    assert _commands(build_parser(None)) == _commands(build_parser("lisen")) == list(SUBCOMMANDS)
    with pytest.raises(SystemExit):
        build_parser(None).parse_args(["--help"])
    listed = capsys.readouterr().out
    assert all(name in listed for name in SUBCOMMANDS)


def test_gui_start_does_not_import_the_subcommands() -> None:
    code = (
        "import sys, relaydesk.cli as cli\n"
        "cli.build_gui_parser().parse_args([])\n"
        "print(sorted(m for m in sys.modules if m.startswith('relaydesk.cli.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"


#: Libraries no command needs just to start: each costs 10–50 ms of import.
HEAVY = ("aiohttp", "msal", "websockets", "cryptography", "jwt", "keyring", "PySide6", "qasync")


def _loaded_after(argv: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """Run ``relaydesk argv`` in a fresh interpreter; the modules it loaded."""
    code = (
        "import sys, relaydesk.cli as cli\n"
        "try:\n"
        f"    cli.main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "import json\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({prefixes!r}))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_help_imports_no_subcommand_and_nothing_heavy() -> None:
    """``relaydesk --help`` lists the subcommands without importing them."""
    loaded = _loaded_after(["--help"], ("relaydesk.", "asyncio", "ssl", *HEAVY))
    assert loaded == ["relaydesk.cli"]


def test_a_subcommand_imports_only_its_own_module() -> None:
    loaded = _loaded_after(["send", "--help"], ("relaydesk.cli.",))
    assert "relaydesk.cli.send_command" in loaded
    others = {"listen", "request", "check", "token", "emulator"}
    assert not [m for m in loaded if m.removeprefix("relaydesk.cli.").split("_")[0] in others]


def test_send_help_imports_nothing_heavy() -> None:
    """The send command's parser (and so its start) needs no network library."""
    assert _loaded_after(["send", "--help"], HEAVY) == []


def test_parsed_is_called_before_the_command_runs_and_not_on_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls: list[str] = []
    assert main(["lisen"], parsed=lambda: calls.append("parsed")) == 2
    assert calls == []
    status = main(["token", "sb://ns.example/hc"], parsed=lambda: calls.append("parsed"))
    assert status == 2 and calls == ["parsed"]  # parsed, then the run refused: no credentials
    capsys.readouterr()
