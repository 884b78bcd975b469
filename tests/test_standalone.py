"""The project stands alone: a clone with nothing beside it can install and test.

README's commands and ``.ci/run`` must not reach outside the checkout (an
earlier version called a script in a ``shared`` folder beside it), and README must list the system
packages before the commands that need them.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _files_that_run_or_document_the_setup() -> list[Path]:
    return [ROOT / "README.md", ROOT / ".ci" / "run", *sorted((ROOT / "tests").rglob("*.py"))]


def test_nothing_needs_a_folder_beside_the_checkout() -> None:
    outside = re.compile(r"\.\./" + "shared" + r"\b")  # split: this file must not match
    offenders = [
        str(path.relative_to(ROOT))
        for path in _files_that_run_or_document_the_setup()
        if path != Path(__file__).resolve() and outside.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_readme_installs_the_system_packages_before_the_venv_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    packages_line = readme.index("sed 's/#.*//' .ci/debian-packages")
    first_venv = readme.index("python3 -m venv .venv")
    assert packages_line < first_venv
    assert readme.index("tests/interop/sdk/install.sh") < first_venv


def test_the_package_list_has_what_readmes_commands_need() -> None:
    listed = (ROOT / ".ci" / "debian-packages").read_text(encoding="utf-8")
    names = {word for line in listed.splitlines() for word in line.split("#")[0].split()}
    assert {"python3-venv", "xvfb", "gnome-keyring", "dbus"} <= names
    assert "sed 's/#.*//' .ci/debian-packages" in (ROOT / ".ci" / "run").read_text()


def test_the_sdk_installer_pins_versions_and_integrity() -> None:
    sdk = ROOT / "tests" / "interop" / "sdk"
    pins = [
        line.split()
        for line in (sdk / "sdk.lock").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert [(name, version) for name, version, _ in pins] == [
        ("hyco-ws", "1.0.5"),
        ("hyco-https", "1.4.5"),
    ]
    assert all(integrity.startswith("sha512-") for _, _, integrity in pins)
    for name, _, _ in pins:
        assert (sdk / name / "package-lock.json").is_file()
