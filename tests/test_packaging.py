"""The wheel's package list matches the package tree (pyproject lists it by hand).

resources/ ships as the mapped package ``relaydesk._resources``, which
setuptools cannot "find", so pyproject.toml lists every package; a new
subpackage missing from the list would silently vanish from the wheel.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _config() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        tool = tomllib.load(handle)["tool"]["setuptools"]
    assert isinstance(tool, dict)
    return tool


def test_every_package_is_listed() -> None:
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "relaydesk").rglob("__init__.py")
    }
    listed = set(_config()["packages"])  # type: ignore[call-overload]
    assert listed == on_disk | {"relaydesk._resources"}


def test_resources_ship_inside_the_package() -> None:
    config = _config()
    assert config["package-dir"] == {"relaydesk._resources": "resources"}
    assert config["package-data"] == {"relaydesk._resources": ["**/*"]}
    for asset in ("styles/relaydesk.qss", "app/relaydesk.svg"):
        assert (ROOT / "resources" / asset).is_file(), asset
