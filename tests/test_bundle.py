"""The double-click bundle: ``build.spec`` and its build-time helpers.

The fast tests check ``resources/app/bundle_metadata.py`` (version, Windows
version resource, Info.plist keys, shipped resources, the Qt trimming rules)
and the Linux ``.desktop`` entry. The ``slow`` tests build the real bundle with
PyInstaller into a temporary folder (the documented ``pyinstaller build.spec``
plus ``--distpath``/``--workpath``), measure it, and run the bundled
executable: the GUI self-test inside a private D-Bus session with
gnome-keyring, a saved profile whose SAS key the bundled keyring must read
from that Secret Service, and the ``emulator`` subcommand.

Without PyInstaller the slow tests skip locally and fail on CI (``CI`` set).
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import inspect
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from tests.keyring_service import SecretServiceSession, run_secret_service
from tests.self_test_run import run_self_test

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build.spec"
APP_DIR = ROOT / "resources" / "app"
#: Budget for dist/RelayDesk on Linux, in MiB (what ``du -sh`` prints).
MAX_BUNDLE_MIB = 170
LINUX = sys.platform.startswith("linux")
BUILD_TIMEOUT = 300
RUN_TIMEOUT = 90

# Whichever slow test runs first builds the bundle (module fixture), so each
# may need the build time on top of its own.
pytestmark = pytest.mark.timeout(BUILD_TIMEOUT + 2 * RUN_TIMEOUT)


def _load_meta() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_metadata", APP_DIR / "bundle_metadata.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bundle_metadata"] = module
    spec.loader.exec_module(module)
    return module


meta = _load_meta()


# --------------------------------------------------------------------------- metadata


def test_version_is_parsed_without_importing_the_package() -> None:
    import relaydesk

    assert meta.read_version(ROOT / "relaydesk" / "__init__.py") == relaydesk.__version__


def test_missing_version_is_an_error(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text('"""doc"""\nVERSION = "1.0"\n__version__ = VERSION\n', encoding="utf-8")
    with pytest.raises(ValueError, match="__version__"):
        meta.read_version(init)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("2", (2, 0, 0, 0)),
        ("1.2.3rc1", (1, 2, 3, 0)),
        ("1.2.3.post4", (1, 2, 3, 0)),
        ("1.2.3.4.5", (1, 2, 3, 4)),
        ("v10.20", (10, 20, 0, 0)),
    ],
)
def test_windows_version_tuple(version: str, expected: tuple[int, ...]) -> None:
    assert meta.version_tuple(version) == expected


@pytest.mark.parametrize("version", ["", "dev", "1.70000"])
def test_windows_version_tuple_rejects(version: str) -> None:
    with pytest.raises(ValueError):
        meta.version_tuple(version)


def test_windows_version_resource_is_filled_from_the_version() -> None:
    text = meta.render_version_info("1.2.3")
    tree = ast.parse(text, mode="eval")  # PyInstaller eval()s this text
    assert isinstance(tree.body, ast.Call) and ast.unparse(tree.body.func) == "VSVersionInfo"
    assert "filevers=(1, 2, 3, 0)" in text and "prodvers=(1, 2, 3, 0)" in text
    assert "StringStruct('FileVersion', '1.2.3')" in text
    assert "StringStruct('ProductVersion', '1.2.3')" in text
    assert "StringStruct('OriginalFilename', 'RelayDesk.exe')" in text
    assert "$" not in text


def _versioninfo_signatures() -> dict[str, inspect.Signature]:
    """``__init__`` signatures of PyInstaller's version-resource classes.

    Read from the source: the module itself imports only on Windows.
    """
    found = importlib.util.find_spec("PyInstaller")
    if found is None or found.origin is None:
        pytest.skip("PyInstaller is not installed")
    source = Path(found.origin).parent / "utils" / "win32" / "versioninfo.py"
    signatures = {}
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        init = next(
            (f for f in getattr(node, "body", []) if getattr(f, "name", "") == "__init__"), None
        )
        if isinstance(node, ast.ClassDef) and isinstance(init, ast.FunctionDef):
            names = [arg.arg for arg in init.args.args[1:]]
            signatures[node.name] = inspect.Signature(
                [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
            )
    return signatures


def test_windows_version_resource_matches_pyinstallers_classes() -> None:
    """Evaluate the text as PyInstaller does, against its real constructor signatures."""
    signatures = _versioninfo_signatures()

    def recorder(name: str) -> object:
        def build(*args: object, **kwargs: object) -> dict[str, object]:
            bound = signatures[name].bind_partial(*args, **kwargs)  # TypeError if unknown
            return {"class": name, **bound.arguments}

        return build

    namespace = {name: recorder(name) for name in signatures}
    info = eval(meta.render_version_info("0.1.0"), {"__builtins__": {}}, namespace)
    assert info["class"] == "VSVersionInfo"
    assert info["ffi"]["filevers"] == info["ffi"]["prodvers"] == (0, 1, 0, 0)
    strings = {s["name"]: s["val"] for s in info["kids"][0]["kids"][0]["kids"]}
    assert strings["FileVersion"] == strings["ProductVersion"] == "0.1.0"
    assert strings["ProductName"] == "RelayDesk"


def test_info_plist_has_the_required_keys() -> None:
    plist = meta.info_plist("0.3.1")
    assert plist["CFBundleName"] == "RelayDesk"
    assert plist["CFBundleIdentifier"] == "com.relaydesk.RelayDesk"
    assert plist["CFBundleShortVersionString"] == "0.3.1"
    assert plist["NSHighResolutionCapable"] is True
    assert plist["LSMinimumSystemVersion"] == meta.MINIMUM_MACOS


def test_shipped_resources_mirror_the_tree_without_build_inputs() -> None:
    pairs = meta.resource_datas(ROOT / "resources")
    shipped = {Path(dest) / Path(src).name for src, dest in pairs}
    assert Path("resources/styles/relaydesk.qss") in shipped
    assert Path("resources/app/relaydesk.svg") in shipped
    assert Path("resources/app/relaydesk.desktop") in shipped
    assert Path("resources/app/icons/hicolor/256x256/apps/relaydesk.png") in shipped
    names = {path.name for path in shipped}
    assert not {"generate_icons.py", "bundle_metadata.py", "version_info.txt.in"} & names
    assert not {"relaydesk.ico", "relaydesk.icns", ".gitkeep"} & names
    assert all(Path(src).is_file() for src, _ in pairs)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqminimal.so",
        "PySide6\\plugins\\platforms\\qwindows.dll",
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/imageformats/libqico.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
        "PySide6/plugins/styles/qmodernwindowsstyle.dll",
        "PySide6/Qt/plugins/styles/libqmacstyle.dylib",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6Svg.so.6",
        "PySide6/Qt/lib/libicudata.so.73",
        "libxcb-cursor.so.0",
        "cryptography/hazmat/bindings/_rust.abi3.so",
    ],
)
def test_trimming_keeps_what_relaydesk_loads(dest: str) -> None:
    assert meta.drop_reason(dest) is None


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/translations/qtbase_de.qm",
        "PySide6/opengl32sw.dll",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
        "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/plugins/imageformats/libqwebp.so",
        "PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so",
        "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
        "PySide6/Qt/lib/libQt6WaylandClient.so.6",
        "libgtk-3.so.0",
    ],
)
def test_trimming_drops_what_relaydesk_never_loads(dest: str) -> None:
    assert meta.drop_reason(dest)
    kept, dropped = meta.trim([(dest, "/src", "BINARY"), ("libQt6Core.so.6", "/c", "BINARY")])
    assert dropped == [dest] and kept == [("libQt6Core.so.6", "/c", "BINARY")]


def test_libraries_left_behind_by_dropped_plugins_go_too() -> None:
    """Only what a kept file links (directly or through a kept library) stays."""
    links = {
        "/x/app.so": ["libfoo.so.1"],
        "/x/libfoo.so.1": ["libbar.so.2"],
        "/x/libbar.so.2": [],
        "/x/libgtk-3.so.0": ["libpango.so.1"],
        "/x/libpango.so.1": ["libbar.so.2"],
        "/x/libQt6Network.so.6": ["libkrb5.so.3"],
        "/x/libkrb5.so.3": [],
        "/x/libpython3.11.so.1.0": [],
    }
    entries = [
        ("pkg/app.so", "/x/app.so", "EXTENSION"),
        ("libfoo.so.1", "/x/libfoo.so.1", "BINARY"),
        ("libbar.so.2", "/x/libbar.so.2", "BINARY"),
        ("libgtk-3.so.0", "/x/libgtk-3.so.0", "BINARY"),
        ("libpango.so.1", "/x/libpango.so.1", "BINARY"),
        ("PySide6/Qt/lib/libQt6Network.so.6", "/x/libQt6Network.so.6", "BINARY"),
        ("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK"),
        ("libkrb5.so.3", "/x/libkrb5.so.3", "BINARY"),
        ("libpython3.11.so.1.0", "/x/libpython3.11.so.1.0", "BINARY"),
        ("resources/styles/relaydesk.qss", "/x/relaydesk.qss", "DATA"),
    ]
    dropped = meta.unreferenced_libraries(entries, lambda src: links[src])
    assert dropped == {
        "libgtk-3.so.0",
        "libpango.so.1",
        "PySide6/Qt/lib/libQt6Network.so.6",
        "libQt6Network.so.6",
        "libkrb5.so.3",
    }


def test_desktop_entry() -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(APP_DIR / "relaydesk.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "RelayDesk"
    assert entry["Exec"] == meta.APP_NAME  # the bundle's executable
    assert entry["Icon"] == "relaydesk"  # icons/hicolor/<N>x<N>/apps/relaydesk.png
    assert entry["Terminal"] == "false"
    assert entry["StartupWMClass"] == "RelayDesk"  # Qt's WM_CLASS: the application name
    categories = entry["Categories"].split(";")
    assert {"Network", "Development"} <= set(categories) and entry["Categories"].endswith(";")


def test_spec_names_the_documented_pieces() -> None:
    """The spec wires the helpers in (a cheap guard between the slow builds)."""
    text = SPEC.read_text(encoding="utf-8")
    for needle in (
        'collect_submodules("relaydesk")',
        "keyring.backends.SecretService",
        "keyring.backends.macOS",
        "keyring.backends.Windows",
        'copy_metadata("keyring")',
        "console=False",
        "relaydesk.ico",
        "relaydesk.icns",
        "meta.info_plist(VERSION)",
        "meta.render_version_info(VERSION)",
        "BUNDLE(",
    ):
        assert needle in text, needle


# --------------------------------------------------------------------------- the bundle


@dataclass(frozen=True)
class Bundle:
    """A freshly built ``dist/RelayDesk``."""

    folder: Path
    executable: Path
    build_seconds: float
    size_bytes: int


def _folder_size(folder: Path) -> int:
    """Bytes of regular files (symlinks count as nothing, like ``du``)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _require_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is not None:
        return
    message = "PyInstaller is not installed (pip install pyinstaller) - cannot build the bundle"
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """Build the bundle once for this module (about 30 s on two cores)."""
    _require_pyinstaller()
    base = tmp_path_factory.mktemp("bundle")
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--distpath",
        str(base / "dist"),
        "--workpath",
        str(base / "work"),
        str(SPEC),
    ]
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
    )
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-4000:]
    folder = base / "dist" / "RelayDesk"
    executable = folder / ("RelayDesk.exe" if sys.platform == "win32" else "RelayDesk")
    assert executable.is_file(), f"no executable in {folder}"
    return Bundle(folder, executable, seconds, _folder_size(folder))


def _bundle_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["RELAYDESK_CONFIG_DIR"] = str(tmp_path / "config")  # never the developer's profiles
    return env


@pytest.fixture
def secret_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretServiceSession]:
    if not LINUX:
        pytest.skip("the Secret Service session is a Linux test")
    with run_secret_service(tmp_path / "keyring", monkeypatch) as session:
        yield session


@pytest.mark.slow
def test_bundle_builds_within_the_size_budget(
    bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    mib = bundle.size_bytes / 2**20
    with capsys.disabled():
        print(
            f"\nRelayDesk bundle: built in {bundle.build_seconds:.0f} s; dist/RelayDesk is "
            f"{mib:.1f} MiB ({bundle.size_bytes / 1e6:.1f} MB)"
        )
    if LINUX:
        assert mib < MAX_BUNDLE_MIB, f"dist/RelayDesk is {mib:.1f} MiB"


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="checks the Linux plugin layout")
def test_bundle_ships_the_kept_qt_plugins_and_resources(bundle: Bundle) -> None:
    internal = bundle.folder / "_internal"
    plugins = internal / "PySide6" / "Qt" / "plugins"
    present = {p.relative_to(plugins).as_posix() for p in plugins.rglob("*.so")}
    assert {
        "platforms/libqxcb.so",
        "platforms/libqoffscreen.so",
        "platforms/libqminimal.so",
        "imageformats/libqsvg.so",
        "imageformats/libqico.so",
        "iconengines/libqsvgicon.so",
    } <= present
    assert not [p for p in present if meta.drop_reason(f"PySide6/Qt/plugins/{p}")]
    assert not (internal / "PySide6" / "Qt" / "translations").exists()
    # Qt's xcb platform refuses to start without libxcb-cursor (Qt >= 6.5), which
    # fresh desktops often lack: the bundle carries it (the build box has it, .ci/run).
    assert (internal / "libxcb-cursor.so.0").exists()
    assert (internal / "resources" / "styles" / "relaydesk.qss").is_file()
    assert (internal / "resources" / "app" / "relaydesk.svg").is_file()
    dangling = [p.name for p in internal.rglob("*") if p.is_symlink() and not p.exists()]
    assert dangling == [], "symlinks to dropped libraries"


@pytest.mark.slow
def test_bundle_reports_its_version(bundle: Bundle, tmp_path: Path) -> None:
    import relaydesk

    result = subprocess.run(
        [str(bundle.executable), "--version"],
        env=_bundle_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"relaydesk {relaydesk.__version__}"


@pytest.mark.slow
@pytest.mark.keyring
def test_bundle_self_test_in_a_secret_service_session(
    bundle: Bundle, secret_service: SecretServiceSession, tmp_path: Path
) -> None:
    """``RelayDesk --demo --self-test --screenshot``: the real GUI, frozen."""
    shot = tmp_path / "shot.png"
    output = run_self_test(
        [str(bundle.executable)], _bundle_env(tmp_path), shot, timeout=RUN_TIMEOUT
    )
    # The self-test prints the keyring backend: the frozen keyring must have found
    # the Secret Service (not fallen back to memory).
    [line] = [line for line in output.splitlines() if line.startswith("self-test: keyring")]
    assert line == "self-test: keyring backend: Secret Service", line


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="X11 is the Linux desktop path")
def test_bundle_self_test_on_a_real_x_server(bundle: Bundle, tmp_path: Path) -> None:
    """The frozen app on Qt's xcb platform: the bundled plugin finds its libraries."""
    from tests.x_server import XCB_ENV, virtual_display

    with virtual_display() as display:
        env = {**_bundle_env(tmp_path), **XCB_ENV, "DISPLAY": display}
        env.pop("WAYLAND_DISPLAY", None)
        run_self_test([str(bundle.executable)], env, tmp_path / "shot.png", timeout=RUN_TIMEOUT)


@pytest.mark.slow
@pytest.mark.keyring
def test_bundled_keyring_reads_a_profile_secret_from_the_secret_service(
    bundle: Bundle, secret_service: SecretServiceSession, tmp_path: Path
) -> None:
    """The frozen keyring finds gnome-keyring: ``RelayDesk token --profile`` signs
    with the SAS key that only the Secret Service holds."""
    import keyring.backends.SecretService

    from relaydesk.profiles.model import IdentityConfig, Profile
    from relaydesk.profiles.store import ProfileStore
    from relaydesk.protocol.sas import build_sas_token
    from relaydesk.secrets import KeyringSecretStore, Secret

    key = "bundle-test-key-" + os.urandom(8).hex()
    store = ProfileStore(
        KeyringSecretStore(backend=keyring.backends.SecretService.Keyring()),
        config_dir=tmp_path / "config",
    )
    profile = store.save(
        Profile(
            name="bundle",
            address="sb://bundle-test.servicebus.windows.net/hc",
            listener=IdentityConfig(kind="sas", sas_key_name="BundleRule"),
            sender_same_as_listener=True,
        )
    )
    store.set_secret(profile.name, "listener", Secret(key))
    result = subprocess.run(
        [str(bundle.executable), "token", "--profile", "bundle", "--json", "--show-token"],
        env=_bundle_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    record = json.loads(result.stdout.splitlines()[-1])
    assert record["kind"] == "sas" and record["claims"]["skn"] == "BundleRule"
    expires_at = int(record["claims"]["se"])
    resource = "http://bundle-test.servicebus.windows.net/hc"
    assert record["token"] == build_sas_token(resource, "BundleRule", key, expires_at=expires_at)


@pytest.mark.slow
@pytest.mark.e2e
def test_bundled_emulator_subcommand(bundle: Bundle, tmp_path: Path) -> None:
    """``RelayDesk emulator``: one JSON ready line, then a clean exit on SIGTERM."""
    if sys.platform == "win32":
        pytest.skip("SIGTERM is a POSIX signal")
    process = subprocess.Popen(
        [str(bundle.executable), "emulator", "--data-dir", str(tmp_path / "emulator")],
        env=_bundle_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready_to_read, _, _ = select.select([process.stdout], [], [], RUN_TIMEOUT)
        assert ready_to_read, "the emulator printed no ready line"
        line = process.stdout.readline()
        ready = json.loads(line)
        assert {"namespace", "authority", "ca_file"} <= set(ready)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=RUN_TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
