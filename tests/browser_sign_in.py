"""A real browser signing a person in: Debian's headless Chromium driven over CDP.

Used as ``$BROWSER`` by the sign-in tests (Python's :mod:`webbrowser`, which
MSAL-based code calls, runs ``$BROWSER`` with the URL for ``%s``)::

    BROWSER="python tests/browser_sign_in.py %s"

It starts ``chromium --headless --remote-debugging-pipe`` (the Chrome DevTools
Protocol over file descriptors 3 and 4, NUL-terminated JSON: no debugging
port), opens the URL, types ``$RD_TEST_LOGIN`` / ``$RD_TEST_PASSWORD`` into the
emulator's sign-in page (or presses Cancel when ``$RD_TEST_CANCEL`` is set),
submits, and waits until the page RelayDesk's loopback server answers shows.
The browser trusts exactly the emulator's certificate
(``--ignore-certificate-errors-spki-list`` with its public-key hash) and is
kept off the network otherwise. Everything is bounded in time; the exit
status says whether the sign-in page was driven to the end.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

CHROMIUM = os.environ.get("RD_TEST_CHROMIUM", "/usr/bin/chromium")
DEADLINE = 60.0


def spki_hash(host: str, port: int) -> str:
    """base64(sha256(SubjectPublicKeyInfo)) of the server's certificate."""
    pem = ssl.get_server_certificate((host, port))
    cert = x509.load_pem_x509_certificate(pem.encode())
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class Cdp:
    """The DevTools protocol over Chromium's pipe (fd 3 in, fd 4 out)."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self._write = write_fd
        self._read = os.fdopen(read_fd, "rb", buffering=0)
        self._next = 0
        self._buffer = b""

    def call(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _message(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = self._read.read(65536)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        value: dict[str, Any] = json.loads(raw)
        return value


def evaluate(cdp: Cdp, session: str, expression: str) -> Any:
    result = cdp.call(
        "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session
    )
    return result.get("result", {}).get("value")


#: CDP's answers to an evaluation that met a page being replaced (a form post, a
#: redirect): the next page is on its way, so waiting goes on.
_NAVIGATING = ("Inspected target navigated or closed", "Execution context was destroyed")


def wait_for(cdp: Cdp, session: str, expression: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if evaluate(cdp, session, expression):
                return
        except RuntimeError as exc:
            if not any(text in str(exc) for text in _NAVIGATING):
                raise
        time.sleep(0.2)
    raise TimeoutError(f"the page never satisfied {expression!r}")


def drive(url: str) -> None:
    parts = urlsplit(url)
    pin = spki_hash(parts.hostname or "127.0.0.1", parts.port or 443)
    profile = tempfile.mkdtemp(prefix="rd-chromium-")
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()

    def child_fds() -> None:
        # Move both ends out of the way first: a pipe end that already is fd 3
        # would stay close-on-exec after dup2(3, 3).
        read_end = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        write_end = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.dup2(read_end, 3)
        os.dup2(write_end, 4)

    args = [
        CHROMIUM,
        "--headless=new",
        "--remote-debugging-pipe",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={profile}",
        f"--ignore-certificate-errors-spki-list={pin}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "about:blank",
    ]
    chrome = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # The pipe ends are close-on-exec; the copies dup2'd to 3 and 4 are not.
        # (close_fds would run after preexec_fn and close 3 and 4 again.)
        close_fds=False,
        preexec_fn=child_fds,
    )
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    try:
        cdp = Cdp(to_chrome_w, from_chrome_r)
        deadline = time.monotonic() + DEADLINE
        target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        cdp.call("Page.enable", session=session)
        cdp.call("Page.navigate", {"url": url}, session)
        wait_for(cdp, session, "!!document.getElementById('login')", deadline)
        if os.environ.get("RD_TEST_CANCEL"):
            evaluate(cdp, session, "document.getElementById('cancel').click()")
        else:
            login = json.dumps(os.environ["RD_TEST_LOGIN"])
            password = json.dumps(os.environ["RD_TEST_PASSWORD"])
            evaluate(
                cdp,
                session,
                f"document.getElementById('login').value={login};"
                f"document.getElementById('passwd').value={password};"
                "document.getElementById('submit').click()",
            )
        wait_for(cdp, session, "!!document.getElementById('result')", deadline)
    finally:
        chrome.terminate()
        try:
            chrome.wait(10)
        except subprocess.TimeoutExpired:
            chrome.kill()
            chrome.wait(10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    drive(sys.argv[1])
