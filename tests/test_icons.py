"""The committed application icons match a fresh render of the SVG.

``resources/app/generate_icons.py`` renders ``relaydesk.svg`` with QtSvg into
PNGs, a multi-size ICO and an ICNS. These tests render again and compare with
the committed files (presence, format, pixel size, and the pixels within a
small tolerance, since another Qt version may antialias an edge differently),
then read the ICO and ICNS back with Qt's own ico/icns image plugins, which
parse those containers independently of the generator.
"""

from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = ROOT / "resources" / "app"


@pytest.fixture(autouse=True)
def _widgets_app(qapp):  # type: ignore[no-untyped-def]
    """The generator would make a QGuiApplication when none exists; in a test
    worker the later files need widgets, which only a QApplication allows."""
    return qapp


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, APP_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _load("generate_icons")


@pytest.fixture(scope="module")
def fresh(gen: ModuleType) -> dict[Path, bytes]:
    """Every output rendered now, in memory."""
    outputs: dict[Path, bytes] = gen.render_all()
    return outputs


def _image(data: bytes) -> object:
    from PySide6.QtGui import QImage  # noqa: TID251 - icons are rendered by Qt

    image = QImage()
    assert image.loadFromData(data, "PNG"), "not a decodable PNG"
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def _mean_difference(a: bytes, b: bytes) -> float:
    """Mean absolute difference per channel (0-255) of two same-size PNGs."""
    first, second = _image(a), _image(b)
    assert first.size() == second.size()  # type: ignore[attr-defined]
    pa = bytes(first.constBits())  # type: ignore[attr-defined]
    pb = bytes(second.constBits())  # type: ignore[attr-defined]
    return sum(abs(x - y) for x, y in zip(pa, pb, strict=True)) / len(pa)


def test_the_generator_finds_nothing_to_fix(gen: ModuleType, fresh: dict[Path, bytes]) -> None:
    assert gen.check_all(fresh) == []


def test_every_png_size_is_committed(gen: ModuleType) -> None:
    assert gen.PNG_SIZES[0] == 16 and gen.PNG_SIZES[-1] == 512
    for size in gen.PNG_SIZES:
        image = _image(gen.png_path(size).read_bytes())
        assert (image.width(), image.height()) == (size, size)  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [16, 32, 256, 512])
def test_committed_png_matches_a_fresh_render(
    gen: ModuleType, fresh: dict[Path, bytes], size: int
) -> None:
    path = gen.png_path(size)
    assert _mean_difference(path.read_bytes(), fresh[path]) < 2.0


@pytest.mark.parametrize("size", [16, 32, 256])
def test_icon_is_a_tile_with_transparent_corners(gen: ModuleType, size: int) -> None:
    """Rounded tile: corners see-through, centre and edges of the tile opaque."""
    image = _image(gen.png_path(size).read_bytes())
    pixel = image.pixelColor  # type: ignore[attr-defined]
    assert pixel(0, 0).alpha() == 0
    assert pixel(size - 1, size - 1).alpha() == 0
    assert pixel(size // 2, size // 2).alpha() == 255
    assert pixel(size // 2, size // 10).alpha() == 255  # top of the tile: blue
    top = pixel(size // 2, size // 10)
    assert top.blue() > top.red() + 60, "the tile should be Azure blue"


def test_ico_holds_every_size_as_png(gen: ModuleType) -> None:
    data = gen.ICO_PATH.read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind, count) == (0, 1, len(gen.ICO_SIZES))
    for index, size in enumerate(gen.ICO_SIZES):
        width, height, _, _, planes, bits, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * index
        )
        assert (width or 256, height or 256, planes, bits) == (size, size, 1, 32)
        image = _image(data[offset : offset + length])
        assert image.width() == size  # type: ignore[attr-defined]


def test_icns_holds_every_entry_as_png(gen: ModuleType) -> None:
    data = gen.ICNS_PATH.read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack_from(">I", data, 4)[0] == len(data)
    offset, seen = 8, []
    while offset < len(data):
        kind = data[offset : offset + 4]
        length = struct.unpack_from(">I", data, offset + 4)[0]
        image = _image(data[offset + 8 : offset + length])
        seen.append((kind, image.width()))  # type: ignore[attr-defined]
        offset += length
    assert seen == list(gen.ICNS_TYPES)


@pytest.mark.parametrize(
    ("name", "plugin", "sizes_attr"),
    [("relaydesk.ico", "ico", "ICO_SIZES"), ("relaydesk.icns", "icns", None)],
)
def test_qt_reads_every_image_of_the_containers(
    gen: ModuleType, name: str, plugin: str, sizes_attr: str | None
) -> None:
    """Qt's ico/icns plugins parse the files on their own: a second opinion."""
    from PySide6.QtGui import QImageReader  # noqa: TID251

    assert plugin.encode() in [bytes(f) for f in QImageReader.supportedImageFormats()]
    reader = QImageReader(str(APP_DIR / name))
    expected = (
        list(getattr(gen, sizes_attr)) if sizes_attr else [size for _, size in gen.ICNS_TYPES]
    )
    assert reader.imageCount() == len(expected)
    widths = []
    for index in range(reader.imageCount()):
        assert reader.jumpToImage(index)
        image = reader.read()
        assert not image.isNull(), reader.errorString()
        widths.append(image.width())
    assert widths == expected


def test_svg_source_is_valid_and_square() -> None:
    from PySide6.QtSvg import QSvgRenderer  # noqa: TID251

    renderer = QSvgRenderer(str(APP_DIR / "relaydesk.svg"))
    assert renderer.isValid()
    box = renderer.viewBoxF()
    assert box.width() == box.height() == 256


def test_build_ico_layout_for_two_sizes(gen: ModuleType) -> None:
    """The ICO writer itself: offsets point just past the directory, 256 is 0."""
    data = gen.build_ico({16: b"A" * 5, 256: b"B" * 7}, sizes=(16, 256))
    assert data[:6] == struct.pack("<HHH", 0, 1, 2)
    first = struct.unpack_from("<BBBBHHII", data, 6)
    second = struct.unpack_from("<BBBBHHII", data, 22)
    assert first == (16, 16, 0, 0, 1, 32, 5, 38)
    assert second == (0, 0, 0, 0, 1, 32, 7, 43)
    assert data[38:] == b"A" * 5 + b"B" * 7


def test_build_icns_layout(gen: ModuleType) -> None:
    data = gen.build_icns({16: b"xy", 32: b"abc"}, types=((b"icp4", 16), (b"icp5", 32)))
    assert data == b"icns" + struct.pack(">I", 8 + 10 + 11) + (
        b"icp4" + struct.pack(">I", 10) + b"xy" + b"icp5" + struct.pack(">I", 11) + b"abc"
    )


def test_check_ignores_the_length_a_png_encoder_chooses(
    gen: ModuleType, fresh: dict[Path, bytes]
) -> None:
    """Another PySide6 build writes longer PNGs: the ICNS length field changes, the icon not."""
    longer = {size: _with_extra_chunk(gen.render_png(size)) for size in gen.all_sizes()}
    padded = gen.build_icns(longer)
    assert padded[:8] != fresh[gen.ICNS_PATH][:8]
    assert gen.describe(padded) == gen.describe(fresh[gen.ICNS_PATH])


def test_check_reports_a_resized_image(gen: ModuleType) -> None:
    small = {16: gen.render_png(16), 32: gen.render_png(16)}  # 32 slot holds a 16 px image
    wrong = gen.build_icns(small, types=((b"icp4", 16), (b"icp5", 32)))
    right = gen.build_icns(
        {16: gen.render_png(16), 32: gen.render_png(32)}, types=((b"icp4", 16), (b"icp5", 32))
    )
    assert gen.describe(wrong) != gen.describe(right)
    assert gen.describe(gen.render_png(16))[0] == "png"
    assert gen.describe(b"GIF89a")[0] == "unknown"


def _with_extra_chunk(png: bytes) -> bytes:
    """The same image with an ancillary tEXt chunk after IHDR (as some encoders add)."""
    import zlib

    body = b"Software\x00test"
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    ihdr_end = 8 + 8 + 13 + 4
    return png[:ihdr_end] + chunk + png[ihdr_end:]
