"""A real SOCKS5 proxy for tests: Dante (``danted``) on 127.0.0.1 with a generated config.

Like :mod:`tests.tinyproxy`: its own port and log, the ports it lets clients
reach (others are refused by its rule set), stopped by its own process handle,
and :meth:`Dante.connects` reads the proxy's log. Dante is a Debian package
(``dante-server``, installed by ``.ci/run``); tests skip when it is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.processes import start_listening, stop_process
from tests.tinyproxy import free_port

__all__ = ["Dante", "make_dante"]

DANTED = shutil.which("danted") or "/usr/sbin/danted"
#: ``pass(1): tcp/connect [: 0 -> client proxy -> 0, 0 -> proxy-out target -> 0``
_CONNECT_LINE = re.compile(r"tcp/connect \[: .*-> \S+ (\d+\.\d+\.\d+\.\d+)\.(\d+)")


class Dante:
    """One danted process on 127.0.0.1 that lets clients reach ``allowed_ports`` only."""

    def __init__(self, workdir: Path, allowed_ports: Sequence[int]) -> None:
        self.port = free_port()
        self.log = workdir / f"danted-{self.port}.log"
        self.config = workdir / f"danted-{self.port}.conf"
        self.pid_file = workdir / f"danted-{self.port}.pid"
        lines = [
            f"logoutput: {self.log}",
            f"internal: 127.0.0.1 port = {self.port}",
            "external: 127.0.0.1",
            "socksmethod: none",
            "clientmethod: none",
            "user.privileged: root",
            "user.unprivileged: root",
            "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: connect disconnect }",
            *(
                f"socks pass {{ from: 127.0.0.0/8 to: 127.0.0.0/8 port = {port} "
                "log: connect disconnect error }"
                for port in allowed_ports
            ),
            "socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 log: connect error }",
        ]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._process = start_listening(
            [DANTED, "-f", str(self.config), "-p", str(self.pid_file), "-N", "1"],
            self.port,
            "danted",
        )

    def stop(self) -> None:
        stop_process(self._process)

    def connects(self) -> list[str]:
        """The ``host:port`` of every connection the proxy made for a client."""
        if not self.log.exists():
            return []
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [f"{host}:{port}" for host, port in _CONNECT_LINE.findall(text)]


@pytest.fixture
def make_dante(tmp_path: Path) -> Iterator[object]:
    """Factory: ``make_dante([port])`` → a started :class:`Dante`."""
    if not Path(DANTED).exists():
        pytest.skip("danted is not installed (apt-get install dante-server)")
    started: list[Dante] = []

    def factory(allowed_ports: Sequence[int]) -> Dante:
        proxy = Dante(tmp_path, allowed_ports)
        proxy.start()
        started.append(proxy)
        return proxy

    yield factory
    for proxy in started:
        proxy.stop()
