"""A real HTTP proxy for tests: tinyproxy on 127.0.0.1 with a generated config.

:class:`Tinyproxy` writes a config (its own port, its own log file, which
``CONNECT`` ports it allows, optional Basic authentication), runs
``tinyproxy -d`` in the foreground, waits until the port accepts connections
and stops the process by its own handle. :meth:`Tinyproxy.connects` reads the
proxy's own log, so tests can assert that a connection really went through it.

tinyproxy is a Debian package (``.ci/run`` installs it); tests that need it
are skipped with a reason when ``/usr/bin/tinyproxy`` is missing.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.processes import start_listening, stop_process

__all__ = ["Tinyproxy", "free_port", "make_tinyproxy"]

TINYPROXY = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"
_CONNECT_LINE = re.compile(r"Request \(file descriptor \d+\): CONNECT (\S+) HTTP/1\.[01]")


def free_port() -> int:
    """A port that was free a moment ago (bound to 0 and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Tinyproxy:
    """One tinyproxy process on 127.0.0.1.

    Args:
        workdir: where the config and the log go.
        connect_ports: the only ports ``CONNECT`` may reach (tinyproxy answers
            403 "Access violation" for others: a proxy that refuses the host).
        user, password: require Basic authentication (407 otherwise).
    """

    def __init__(
        self,
        workdir: Path,
        connect_ports: Sequence[int],
        *,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        self.port = free_port()
        self.log = workdir / f"tinyproxy-{self.port}.log"
        self.config = workdir / f"tinyproxy-{self.port}.conf"
        lines = [
            f"Port {self.port}",
            "Listen 127.0.0.1",
            "Timeout 30",
            f'LogFile "{self.log}"',
            "LogLevel Connect",
            "MaxClients 100",
            "Allow 127.0.0.1",
            "DisableViaHeader Yes",
            *(f"ConnectPort {port}" for port in connect_ports),
        ]
        if user is not None:
            lines.append(f"BasicAuth {user} {password}")
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._process = start_listening(
            [TINYPROXY, "-d", "-c", str(self.config)], self.port, "tinyproxy"
        )

    def stop(self) -> None:
        stop_process(self._process)

    def connects(self) -> list[str]:
        """The ``host:port`` of every CONNECT the proxy received, from its log."""
        if not self.log.exists():
            return []
        return _CONNECT_LINE.findall(self.log.read_text(encoding="utf-8", errors="replace"))


@pytest.fixture
def make_tinyproxy(tmp_path: Path) -> Iterator[object]:
    """Factory: ``make_tinyproxy([port], user=…, password=…)`` → a started :class:`Tinyproxy`."""
    if not Path(TINYPROXY).exists():
        pytest.skip("tinyproxy is not installed (apt-get install tinyproxy)")
    started: list[Tinyproxy] = []

    def factory(
        connect_ports: Sequence[int], *, user: str | None = None, password: str | None = None
    ) -> Tinyproxy:
        proxy = Tinyproxy(tmp_path, connect_ports, user=user, password=password)
        proxy.start()
        started.append(proxy)
        return proxy

    yield factory
    for proxy in started:
        proxy.stop()
