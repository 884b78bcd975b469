"""Find and load non-Python assets: the stylesheet and the SVG icons.

Assets live in the repository's ``resources/`` directory. A PyInstaller bundle
ships them as ``sys._MEIPASS/resources`` and a wheel may map them into
``relaydesk/_resources``; :func:`resource_path` tries those places in that
order, so one function serves development, wheel and bundle alike (no compiled
``.qrc``, no generated files).
"""

from __future__ import annotations

import sys
from pathlib import Path

from relaydesk.errors import RelayDeskError

__all__ = [
    "ResourceMissing",
    "app_icon",
    "candidate_roots",
    "icon",
    "load_stylesheet",
    "resource_path",
]

_APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # relaydesk/


class ResourceMissing(RelayDeskError):
    """An asset the app needs is not where any of the known layouts put it."""


def candidate_roots() -> list[Path]:
    """Return the directories that may hold ``resources/`` content, best first."""
    roots: list[Path] = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        roots.append(Path(frozen) / "resources")
    roots.append(_PACKAGE_DIR / "_resources")
    roots.append(_PACKAGE_DIR.parent / "resources")
    return roots


def resource_path(relative: str) -> Path:
    """Return the path of an asset such as ``styles/relaydesk.qss``.

    Raises:
        ResourceMissing: no known layout holds the asset.
    """
    for root in candidate_roots():
        path = root / relative
        if path.exists():
            return path
    raise ResourceMissing(f"resource not found: {relative}")


def load_stylesheet() -> str:
    """Return the application stylesheet, or ``""`` when it is missing.

    A missing stylesheet makes the app plainer, not unusable, so it is not an
    error at start-up.
    """
    try:
        return resource_path("styles/relaydesk.qss").read_text(encoding="utf-8")
    except ResourceMissing:
        return ""


def icon(name: str) -> object:
    """Return a ``QIcon`` for ``icons/<name>.svg`` (an empty icon if missing)."""
    from PySide6.QtGui import QIcon

    try:
        return QIcon(str(resource_path(f"icons/{name}.svg")))
    except ResourceMissing:
        return QIcon()


def app_icon() -> object:
    """Return the application ``QIcon`` from the PNG sizes in ``app/icons/hicolor``.

    PNGs rather than the SVG source: the bundle leaves out Qt's SVG plugins.
    """
    from PySide6.QtGui import QIcon

    result = QIcon()
    for size in _APP_ICON_SIZES:
        try:
            path = resource_path(f"app/icons/hicolor/{size}x{size}/apps/relaydesk.png")
        except ResourceMissing:
            continue
        result.addFile(str(path))
    return result
