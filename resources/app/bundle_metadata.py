"""Build-time metadata and trimming rules for ``build.spec`` (PyInstaller).

Kept out of the spec so the rules can be unit-tested without running a build:
the version (parsed from ``relaydesk/__init__.py``, never imported, so a build
does not need the package importable from the spec's interpreter), the macOS
Info.plist keys, the Windows version resource, which ``resources/`` files ship,
and which Qt files RelayDesk never loads and the bundle therefore drops
(platform notes, "PyInstaller (6.22)": untrimmed ≈ 190 MB, trimmed ≈ 160 MB).

Nothing here imports PyInstaller or Qt.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

APP_NAME = "RelayDesk"
BUNDLE_IDENTIFIER = "com.relaydesk.RelayDesk"
#: Qt 6.10 and 6.11 support macOS 13 and later (doc.qt.io, "Qt for macOS").
MINIMUM_MACOS = "13.0"

HERE = Path(__file__).resolve().parent
VERSION_TEMPLATE = HERE / "version_info.txt.in"

#: Files under resources/ that are build inputs, not runtime assets.
_NOT_SHIPPED_SUFFIXES = {".py", ".pyc", ".in", ".ico", ".icns"}
_NOT_SHIPPED_NAMES = {".gitkeep", "__pycache__"}

#: Qt platform plugins the bundle keeps: xcb (X11 desktops, and Wayland
#: desktops through XWayland), offscreen (self-test, CI), minimal (fallback),
#: and the native Windows and macOS plugins.
KEEP_PLATFORMS = (
    "libqxcb",
    "libqoffscreen",
    "libqminimal.",
    "qwindows",
    "qoffscreen",
    "qminimal.",
    "libqcocoa",
)
#: Image formats the app reads: SVG icons and ICO (Windows window icon).
KEEP_IMAGE_FORMATS = ("qsvg", "qico")

#: Path fragments (POSIX form, lower case) of Qt files RelayDesk never loads.
#: Each comes with the reason it is safe to drop. The ``lib…`` library names
#: match Linux only, on purpose: that is where the trimmed bundle was verified
#: (macOS frameworks and Windows DLLs stay; plugins and translations are
#: dropped everywhere, nothing links against them).
DROP_FRAGMENTS: tuple[tuple[str, str], ...] = (
    ("pyside6/qt/translations/", "Qt's own UI translations; RelayDesk is English-only"),
    ("pyside6/translations/", "Qt's own UI translations (Windows layout)"),
    ("opengl32sw.dll", "software OpenGL for Windows; widgets paint without OpenGL"),
    ("/plugins/platformthemes/libqgtk3", "GTK3 theme plugin; pulls in GTK, Pango, cairo"),
    ("/plugins/platforminputcontexts/", "IBus/compose/virtual keyboard input methods"),
    ("/plugins/wayland-", "Wayland client plugins; Wayland desktops run xcb via XWayland"),
    ("/plugins/egldeviceintegrations/", "eglfs (embedded, no window system)"),
    ("/plugins/generic/", "evdev/tuio input for eglfs/linuxfb"),
    ("/plugins/xcbglintegrations/", "OpenGL on X11; RelayDesk draws with the raster engine"),
    ("/plugins/networkinformation/", "NetworkManager/connman reachability; never queried"),
    ("/plugins/tls/libqcertonlybackend", "Qt TLS backend; Python's ssl does all TLS"),
    ("/plugins/tls/qcertonlybackend", "Qt TLS backend; Python's ssl does all TLS"),
    ("/plugins/vectorimageformats/", "Lottie animations"),
    ("/plugins/printsupport/", "printing"),
    ("/plugins/sqldrivers/", "SQL drivers"),
    ("libqt6waylandclient", "Wayland client library"),
    ("libqt6wlshellintegration", "Wayland shell integration library"),
    ("libqt6eglfs", "eglfs device integration libraries"),
    ("libqt6quick", "Qt Quick (QML UI); RelayDesk uses widgets"),
    ("libqt6qml", "QML engine"),
    ("libqt6opengl", "OpenGL helpers; raster rendering only"),
    ("libqt6pdf", "PDF rendering"),
    ("libqt6virtualkeyboard", "virtual keyboard"),
    ("libqt6printsupport", "printing"),
    ("libgtk-3", "GTK3 (only the dropped GTK theme plugin needs it)"),
    ("libgdk-3", "GDK3 (only the GTK theme plugin needs it)"),
    ("libatk-", "ATK (only GTK needs it)"),
    ("libpango", "Pango (only GTK needs it)"),
    ("libcairo", "cairo (only GTK needs it)"),
    ("libgdk_pixbuf", "gdk-pixbuf (only GTK needs it)"),
    ("libharfbuzz-gobject", "HarfBuzz GObject bindings (only GTK needs it)"),
    ("libepoxy", "libepoxy (only GTK needs it)"),
)


def read_version(init_file: Path) -> str:
    """Return ``__version__`` from ``relaydesk/__init__.py`` without importing it.

    Raises:
        ValueError: no ``__version__ = "<string>"`` assignment at module level.
    """
    tree = ast.parse(init_file.read_text(encoding="utf-8"), filename=str(init_file))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise ValueError(f"no __version__ string in {init_file}")


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """The four numbers of a Windows file version from a PEP 440 version.

    Only the release segment counts (``1.2.3rc1`` → ``(1, 2, 3, 0)``); missing
    parts are 0. Each part must fit 16 bits, as the version resource demands.

    Raises:
        ValueError: the version does not start with a number, or a part is too big.
    """
    match = re.match(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?", version.strip())
    if match is None:
        raise ValueError(f"not a release version: {version!r}")
    parts = tuple(int(part) if part is not None else 0 for part in match.groups())
    if any(part > 0xFFFF for part in parts):
        raise ValueError(f"version part larger than 65535: {version!r}")
    return parts[0], parts[1], parts[2], parts[3]


def render_version_info(version: str, template: Path = VERSION_TEMPLATE) -> str:
    """Fill the Windows version-resource template with ``version``."""
    text = template.read_text(encoding="utf-8")
    return string.Template(text).substitute(
        version=version, version_tuple=repr(version_tuple(version))
    )


def info_plist(version: str) -> dict[str, object]:
    """The Info.plist keys of the macOS ``RelayDesk.app``."""
    return {
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleIdentifier": BUNDLE_IDENTIFIER,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "NSHighResolutionCapable": True,
        "LSMinimumSystemVersion": MINIMUM_MACOS,
        "NSHumanReadableCopyright": "Copyright (c) 2026 The RelayDesk authors. MIT License.",
    }


def resource_datas(resources_dir: Path) -> list[tuple[str, str]]:
    """``(source file, destination folder)`` pairs for every shipped asset.

    The destination mirrors the source tree under ``resources/``, which is
    where ``relaydesk.gui.resources`` looks inside a bundle
    (``sys._MEIPASS/resources``). Build inputs (scripts, templates, the ICO and
    ICNS that PyInstaller embeds itself) stay out.
    """
    pairs = []
    for path in sorted(resources_dir.rglob("*")):
        relative = path.relative_to(resources_dir)
        if not path.is_file() or _NOT_SHIPPED_NAMES.intersection(relative.parts):
            continue
        if path.suffix in _NOT_SHIPPED_SUFFIXES:
            continue
        pairs.append((str(path), str(PurePosixPath("resources", *relative.parent.parts))))
    return pairs


def drop_reason(dest_name: str) -> str | None:
    """Why the bundle may drop the file at ``dest_name`` (``None`` = keep it).

    ``dest_name`` is the path inside the bundle as PyInstaller's TOC has it.
    Platform and image-format plugins are kept only when listed in
    :data:`KEEP_PLATFORMS` / :data:`KEEP_IMAGE_FORMATS`.
    """
    name = PurePosixPath(dest_name.replace("\\", "/").lower())
    text = str(name)
    parent = name.parent.name
    if parent == "platforms" and "/plugins/" in text:
        return None if name.name.startswith(KEEP_PLATFORMS) else "unused Qt platform plugin"
    if parent == "imageformats" and "/plugins/" in text:
        keep = any(fmt in name.name for fmt in KEEP_IMAGE_FORMATS)
        return None if keep else "unused image format plugin"
    for fragment, reason in DROP_FRAGMENTS:
        if fragment in text:
            return reason
    return None


def trim(entries: Iterable[tuple[str, str, str]]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Split PyInstaller TOC entries into (kept entries, dropped destination names)."""
    kept: list[tuple[str, str, str]] = []
    dropped: list[str] = []
    for entry in entries:
        if drop_reason(entry[0]) is None:
            kept.append(entry)
        else:
            dropped.append(entry[0])
    return kept, dropped


_SHARED_LIBRARY = re.compile(r"lib[^/]+\.so(\.[0-9.]+)?")
#: Folders whose shared libraries are only there because something links them.
_LIBRARY_DIRS = ("", "pyside6/qt/lib")


def _is_prunable(dest: str, typecode: str) -> bool:
    path = PurePosixPath(dest.replace("\\", "/"))
    return (
        typecode == "BINARY"
        and str(path.parent).lower().strip(".") in _LIBRARY_DIRS
        and _SHARED_LIBRARY.fullmatch(path.name) is not None
        and not path.name.startswith("libpython")
    )


def unreferenced_libraries(
    entries: Iterable[tuple[str, str, str]], imports_of: Callable[[str], Iterable[str]]
) -> set[str]:
    """Shared libraries (Linux) that no other bundled file links against.

    Dropping plugins leaves behind the libraries PyInstaller collected only
    for them: the GTK3 theme's GTK, ATK, Pango, cairo, gio (names differ
    between distributions), the TLS plugin's libQt6Network and Kerberos. A
    library in the bundle root or in ``PySide6/Qt/lib`` is dropped when no kept
    file lists it among its dependencies, repeated until stable; symlinks to
    dropped libraries go too. ``libpython`` stays: the bootloader loads it
    without a link-time reference.

    Args:
        entries: PyInstaller TOC entries ``(dest_name, src_name, typecode)``:
            binaries and datas (PyInstaller files its symlinks under datas).
        imports_of: the sonames a file (by source path) depends on; the spec
            passes PyInstaller's ``bindepend.get_imports`` (which runs ``ldd``).

    Returns:
        The destination names to drop.
    """
    entries = list(entries)
    files = [(dest, src) for dest, src, code in entries if code in ("BINARY", "EXTENSION")]
    candidates = {dest for dest, _, code in entries if _is_prunable(dest, code)}
    imports = {src: _sonames(imports_of(src)) for _, src in files}
    needed_outside = set().union(*(imports[src] for dest, src in files if dest not in candidates))
    dropped: set[str] = set()
    while True:
        kept = [(dest, src) for dest, src in files if dest in candidates and dest not in dropped]
        needed = needed_outside.union(*(imports[src] for _, src in kept))
        newly = {dest for dest, _ in kept if PurePosixPath(dest).name not in needed}
        if not newly:
            break
        dropped |= newly
    dropped |= {dest for dest, src, code in entries if code == "SYMLINK" and src in dropped}
    return dropped


def _sonames(names: Iterable[str]) -> set[str]:
    return {PurePosixPath(name).name for name in names}
