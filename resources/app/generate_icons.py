"""Render the RelayDesk application icon into every size and container format.

The single source is ``relaydesk.svg`` next to this script. Qt's SVG renderer
(PySide6-Essentials' QtSvg) rasterises it; the PNGs are written by Qt, and the
ICO and ICNS containers are assembled here with :mod:`struct` around those PNG
bytes. Both containers accept PNG entries (ICO since Windows Vista, ICNS since
macOS 10.7), and building them ourselves keeps every size in one file: Qt's ico
and icns image plugins write only one image per file.

Run it after editing the SVG, from anywhere, and commit the outputs::

    python resources/app/generate_icons.py

Outputs (relative to this directory):

* ``icons/hicolor/<N>x<N>/apps/relaydesk.png`` for every size in
  :data:`PNG_SIZES` (the freedesktop icon-theme layout, so ``icons/hicolor``
  can be copied into ``~/.local/share/icons`` as is);
* ``relaydesk.ico`` with the sizes in :data:`ICO_SIZES` (Windows executable);
* ``relaydesk.icns`` with the entries in :data:`ICNS_TYPES` (macOS bundle).

``python generate_icons.py --check`` renders afresh and exits 1 when a
committed file is missing or differs in size or format (tests do the same).
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG_PATH = HERE / "relaydesk.svg"
ICO_PATH = HERE / "relaydesk.ico"
ICNS_PATH = HERE / "relaydesk.icns"

#: Square PNG sizes written into the hicolor tree.
PNG_SIZES: tuple[int, ...] = (16, 24, 32, 48, 64, 128, 256, 512)
#: Sizes inside the Windows ICO (256 is the largest ICO allows).
ICO_SIZES: tuple[int, ...] = (16, 24, 32, 48, 64, 128, 256)
#: ICNS entry type → pixel size; all these types hold PNG data. The ``ic1x``
#: types are the Retina (@2x) variants of the smaller point sizes.
ICNS_TYPES: tuple[tuple[bytes, int], ...] = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
    (b"ic10", 1024),
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_path(size: int, root: Path = HERE) -> Path:
    """Where the ``size`` × ``size`` PNG lives in the hicolor tree under ``root``."""
    return root / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "relaydesk.png"


def _ensure_gui_application() -> object:
    """Return a QGuiApplication (creating an offscreen one if needed).

    QSvgRenderer and QImage need a Gui application object for their image
    plugins and font database; the offscreen platform needs no display.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication  # noqa: TID251 - a build tool, not the package

    return QGuiApplication.instance() or QGuiApplication([sys.argv[0]])


def render_png(size: int, svg_path: Path = SVG_PATH) -> bytes:
    """Rasterise the SVG at ``size`` × ``size`` pixels and return PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF  # noqa: TID251
    from PySide6.QtGui import QImage, QPainter  # noqa: TID251
    from PySide6.QtSvg import QSvgRenderer  # noqa: TID251

    _ensure_gui_application()
    renderer = QSvgRenderer(str(svg_path))
    if not renderer.isValid():
        raise ValueError(f"{svg_path} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    rgba = image.convertToFormat(QImage.Format.Format_ARGB32)
    # PySide6's stubs type the format as bytes, but the binding accepts only str.
    if not rgba.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise RuntimeError("Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def build_ico(pngs: Mapping[int, bytes], sizes: Sequence[int] = ICO_SIZES) -> bytes:
    """Assemble a multi-size ICO whose entries are PNG images.

    Layout: ICONDIR (reserved 0, type 1, count), one 16-byte ICONDIRENTRY per
    image (width and height as one byte each, 0 meaning 256; 0 colours; 1 plane;
    32 bits per pixel; data length; data offset), then the PNG data.
    """
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries = []
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset))
        offset += len(data)
    return header + b"".join(entries) + b"".join(pngs[size] for size in sizes)


def build_icns(pngs: Mapping[int, bytes], types: Iterable[tuple[bytes, int]] = ICNS_TYPES) -> bytes:
    """Assemble an ICNS file from PNG entries.

    Layout: the magic ``icns`` and the total file length (big-endian), then for
    each entry its four-byte type, its length including this 8-byte header, and
    the PNG data.
    """
    body = b"".join(
        type_code + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for type_code, size in types
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def all_sizes() -> list[int]:
    """Every pixel size any output needs, ascending."""
    return sorted({*PNG_SIZES, *ICO_SIZES, *(size for _, size in ICNS_TYPES)})


def render_all(svg_path: Path = SVG_PATH) -> dict[Path, bytes]:
    """Render every output in memory: ``{path under HERE: bytes}``."""
    pngs = {size: render_png(size, svg_path) for size in all_sizes()}
    outputs = {png_path(size): pngs[size] for size in PNG_SIZES}
    outputs[ICO_PATH] = build_ico(pngs)
    outputs[ICNS_PATH] = build_icns(pngs)
    return outputs


def write_all(outputs: Mapping[Path, bytes]) -> None:
    """Write the rendered outputs, creating directories as needed."""
    for path, data in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def png_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk, or None when it is no PNG."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    width, height = struct.unpack_from(">II", data, 16)
    return width, height


def describe(data: bytes) -> tuple[object, ...]:
    """What matters in an icon file: its container and the images inside.

    A PNG is ``("png", (w, h))``; an ICO lists each directory entry's size and
    depth with the pixel size of the PNG it points to; an ICNS lists each entry's
    type with its PNG's pixel size. Lengths and pixels are left out on purpose:
    they change with the Qt build's PNG encoder and antialiasing, not with the
    icon (the tests compare pixels within a tolerance).
    """
    if data[:8] == PNG_SIGNATURE:
        return ("png", png_dimensions(data))
    if data[:4] == b"icns":
        entries, offset = [], 8
        while offset + 8 <= len(data):
            kind = data[offset : offset + 4]
            length = struct.unpack_from(">I", data, offset + 4)[0]
            if length < 8:
                break
            entries.append((kind, png_dimensions(data[offset + 8 : offset + length])))
            offset += length
        return ("icns", tuple(entries))
    if data[:4] == struct.pack("<HH", 0, 1) and len(data) >= 6:
        count = struct.unpack_from("<H", data, 4)[0]
        entries = []
        for index in range(count):
            width, height, _, _, _, bits, length, offset = struct.unpack_from(
                "<BBBBHHII", data, 6 + 16 * index
            )
            image = png_dimensions(data[offset : offset + length])
            entries.append((width or 256, height or 256, bits, image))
        return ("ico", tuple(entries))
    return ("unknown",)


def check_all(outputs: Mapping[Path, bytes]) -> list[str]:
    """Problems with the committed files compared to a fresh render (empty = fine).

    Byte equality is not required: another Qt version encodes and antialiases
    differently. Presence, container format and the images inside (their types
    and pixel sizes) must match.
    """
    problems = []
    for path, fresh in outputs.items():
        if not path.exists():
            problems.append(f"{path.relative_to(HERE)} is missing")
            continue
        committed = describe(path.read_bytes())
        if committed[0] != describe(fresh)[0]:
            problems.append(f"{path.relative_to(HERE)} has the wrong format")
        elif committed != describe(fresh):
            problems.append(f"{path.relative_to(HERE)} has the wrong images or pixel sizes")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Render (default) or ``--check`` the committed icon files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    outputs = render_all()
    if args.check:
        problems = check_all(outputs)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    write_all(outputs)
    for path in outputs:
        print(path.relative_to(HERE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
