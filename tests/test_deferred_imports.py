"""relaydesk.deferred_imports: a deferred module runs its code on first use, once.

Each test runs in a fresh interpreter (the test process has import hooks of
its own: PySide6's reads every imported module's source). Probe modules
written to ``tmp_path`` print ``ran NAME`` when their code runs; the driver
prints what it sees between the steps.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from relaydesk.deferred_imports import STANDARD_UNUSED, WEBSOCKETS_UNUSED


def _lines(directory: Path, driver: str, *args: str) -> list[str]:
    """Run ``driver`` with ``directory`` first on ``sys.path``; its output lines."""
    code = f"import sys\nsys.path.insert(0, {str(directory)!r})\n{driver}"
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split("\n")[:-1]


def test_an_import_statement_runs_nothing_the_first_use_runs_it_once(tmp_path: Path) -> None:
    (tmp_path / "probe_plain.py").write_text("print('ran probe_plain')\nVALUE = 42\n")
    driver = (
        "import types\n"
        "from relaydesk.deferred_imports import defer\n"
        "defer('probe_plain')\n"
        "import probe_plain\n"
        "print('imported', sys.modules['probe_plain'].__spec__.name)\n"
        "from probe_plain import VALUE\n"
        "print('value', VALUE, probe_plain.VALUE, type(probe_plain) is types.ModuleType)\n"
    )
    assert _lines(tmp_path, driver) == [
        "imported probe_plain",
        "ran probe_plain",
        "value 42 42 True",
    ]


def test_a_package_whose_code_imports_its_own_submodule(tmp_path: Path) -> None:
    package = tmp_path / "probe_pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "print('ran probe_pkg')\nfrom . import sub\nVALUE = sub.V + 1\n"
    )
    (package / "sub.py").write_text("print('ran probe_pkg.sub')\nimport probe_pkg\nV = 1\n")
    driver = (
        "from relaydesk.deferred_imports import defer\n"
        "defer('probe_pkg')\n"
        "import probe_pkg\n"
        "print('imported')\n"
        "print('value', probe_pkg.VALUE)\n"
    )
    assert _lines(tmp_path, driver) == [
        "imported",
        "ran probe_pkg",
        "ran probe_pkg.sub",
        "value 2",
    ]


def test_a_second_thread_waits_for_the_code_to_finish(tmp_path: Path) -> None:
    """While one thread runs the module's code, another using it gets the whole
    module, not an AttributeError from a half-run one."""
    (tmp_path / "probe_gate.py").write_text(
        "import threading\nentered = threading.Event()\nrelease = threading.Event()\n"
    )
    (tmp_path / "probe_slow.py").write_text(
        "import probe_gate\nprint('ran probe_slow')\n"
        "probe_gate.entered.set()\nprobe_gate.release.wait(30)\nLAST = 'done'\n"
    )
    driver = (
        "import threading, probe_gate\n"
        "from relaydesk.deferred_imports import defer\n"
        "defer('probe_slow')\n"
        "import probe_slow\n"
        "seen = {}\n"
        "def use(key):\n"
        "    try:\n"
        "        seen[key] = probe_slow.LAST\n"
        "    except AttributeError as exc:\n"
        "        seen[key] = repr(exc)\n"
        "first = threading.Thread(target=use, args=('first',))\n"
        "first.start()\n"
        "assert probe_gate.entered.wait(30)\n"
        "second = threading.Thread(target=use, args=('second',))\n"
        "second.start()\n"
        "second.join(0.2)  # a half-run module would answer at once\n"
        "print('second waiting', 'second' not in seen)\n"
        "probe_gate.release.set()\n"
        "first.join(30)\n"
        "second.join(30)\n"
        "print(sorted(seen.items()))\n"
    )
    assert _lines(tmp_path, driver) == [
        "ran probe_slow",
        "second waiting True",
        "[('first', 'done'), ('second', 'done')]",
    ]


def test_a_module_its_parent_package_imports_is_left_as_imported(tmp_path: Path) -> None:
    """Finding ``probe_parent.sub`` imports ``probe_parent``, which imports the
    submodule: that module has run, and stays the one its importers hold."""
    package = tmp_path / "probe_parent"
    package.mkdir()
    (package / "__init__.py").write_text("from . import sub\n")
    (package / "sub.py").write_text("print('ran probe_parent.sub')\n")
    driver = (
        "import types\n"
        "from relaydesk.deferred_imports import defer\n"
        "defer('probe_parent.sub')\n"
        "import probe_parent\n"
        "module = sys.modules['probe_parent.sub']\n"
        "print(type(module) is types.ModuleType, module is probe_parent.sub)\n"
    )
    assert _lines(tmp_path, driver) == ["ran probe_parent.sub", "True True"]


def test_two_threads_run_two_modules_at_once(tmp_path: Path) -> None:
    """While one thread runs a deferred module's code, another thread runs
    another's: the first module's code may wait on that thread."""
    (tmp_path / "probe_meet.py").write_text("import threading\nb_done = threading.Event()\n")
    (tmp_path / "probe_a.py").write_text("import probe_meet\nSAW_B = probe_meet.b_done.wait(10)\n")
    (tmp_path / "probe_b.py").write_text("VALUE = 'b'\n")
    driver = (
        "import threading, time, probe_meet\n"
        "from relaydesk.deferred_imports import defer\n"
        "defer('probe_a', 'probe_b')\n"
        "import probe_a, probe_b\n"
        "seen = {}\n"
        "first = threading.Thread(target=lambda: seen.update(a=probe_a.SAW_B))\n"
        "first.start()\n"
        "time.sleep(0.2)  # probe_a's code is waiting for probe_b's user\n"
        "def use_b():\n"
        "    seen['b'] = probe_b.VALUE\n"
        "    probe_meet.b_done.set()\n"
        "second = threading.Thread(target=use_b)\n"
        "second.start()\n"
        "first.join(30)\n"
        "second.join(30)\n"
        "print(sorted(seen.items()))\n"
    )
    assert _lines(tmp_path, driver) == ["[('a', True), ('b', 'b')]"]


def test_imported_or_unknown_modules_are_left_alone(tmp_path: Path) -> None:
    driver = (
        "import json\n"
        "from relaydesk.deferred_imports import defer\n"
        "defer('json', 'probe_does_not_exist')\n"
        "print(sys.modules['json'] is json, 'probe_does_not_exist' in sys.modules)\n"
    )
    assert _lines(tmp_path, driver) == ["True False"]


def test_websockets_imports_the_deferred_modules_without_running_them(tmp_path: Path) -> None:
    """Used afterwards, they behave as if they had been imported normally."""
    driver = (
        "import types\n"
        "from relaydesk.deferred_imports import WEBSOCKETS_UNUSED, defer\n"
        "defer(*WEBSOCKETS_UNUSED)\n"
        "import websockets.asyncio.client\n"
        "print(sorted(m for m in ('email', 'http.client') if m in sys.modules))\n"
        "import urllib.request\n"
        "from importlib.metadata import version\n"
        "print(version('websockets') == websockets.version.version)\n"
        "print(callable(urllib.request.getproxies))\n"
        "print([type(sys.modules[m]) is types.ModuleType for m in sys.argv[1:]])\n"
    )
    used = ("importlib.metadata", "urllib.request")
    assert set(used) < set(WEBSOCKETS_UNUSED)
    assert _lines(tmp_path, driver, *used) == ["[]", "True", "True", "[True, True]"]


def test_asyncio_and_friends_import_the_standard_modules_without_running_them(
    tmp_path: Path,
) -> None:
    """asyncio, traceback, shutil, dataclasses and the idna codec import them;
    none runs (inspect's ast and dis, linecache's tokenize are not even
    imported) until used, and then each does its work."""
    driver = (
        "import types\n"
        "from relaydesk.deferred_imports import STANDARD_UNUSED, defer\n"
        "defer(*STANDARD_UNUSED)\n"
        "import asyncio, dataclasses, shutil, traceback\n"
        "'example.org'.encode('idna')\n"
        "ran = [m for m in STANDARD_UNUSED if type(sys.modules[m]) is types.ModuleType]\n"
        "print(ran, [m for m in ('ast', 'dis', 'tokenize') if m in sys.modules])\n"
        "import bz2, copy, inspect, linecache, lzma, stringprep, textwrap\n"
        "print(inspect.iscoroutinefunction(asyncio.sleep), textwrap.wrap('a b', 1),\n"
        "      copy.copy([1]), stringprep.in_table_b1(chr(0xAD)),\n"
        "      bz2.decompress(bz2.compress(b'x')), lzma.decompress(lzma.compress(b'y')),\n"
        "      bool(linecache.getline(asyncio.__file__, 1)), 'bücher.example'.encode('idna'))\n"
        "print(all(type(sys.modules[m]) is types.ModuleType for m in STANDARD_UNUSED))\n"
    )
    assert _lines(tmp_path, driver) == [
        "[] []",
        "True ['a', 'b'] [1] True b'x' b'y' True b'xn--bcher-kva.example'",
        "True",
    ]


def test_a_module_whose_c_part_is_missing_is_not_deferred(tmp_path: Path) -> None:
    """bz2 and lzma are plain modules over C ones a Python may lack: there, an
    importer (shutil) must see their import fail, as without deferring."""
    (tmp_path / "probe_front.py").write_text("print('ran probe_front')\n")
    driver = (
        "from relaydesk import deferred_imports\n"
        "deferred_imports._NEEDS['probe_front'] = 'probe_c_part_missing'\n"
        "deferred_imports.defer('probe_front')\n"
        "print('probe_front' in sys.modules)\n"
    )
    assert _lines(tmp_path, driver) == ["False"]
    assert {"bz2", "lzma"} <= set(STANDARD_UNUSED)
