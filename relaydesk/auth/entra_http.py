"""The HTTP client MSAL uses: explicit TLS trust and explicit proxies.

Why not MSAL's own ``verify=``: ``requests`` lets ``REQUESTS_CA_BUNDLE`` /
``CURL_CA_BUNDLE`` from the environment override ``Session.verify`` (platform
notes, protocol §12 item 6), and CI machines set both. So we hand MSAL an
``http_client`` built on a ``requests.Session`` with ``trust_env=False`` and
pass ``verify=`` on every call.

Trust: by default the base bundle is what the environment asked for
(``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE``, else certifi's), so a
corporate CA configured that way keeps working. An extra CA file (the
emulator's CA, a TLS-intercepting proxy's CA) is *added* to that bundle in a
combined temporary PEM file (public certificates only, deleted on close), or
used alone when ``trust_system_cas=False`` (the emulator).

Proxies: ``trust_env=False`` also turns off requests' own reading of
``HTTPS_PROXY``/``NO_PROXY``; the proxy of every request comes from
:class:`relaydesk.proxy.ProxySettings` instead (system mode reads the same
variables, with the same ``NO_PROXY`` rules; explicit and none modes ignore
them), so MSAL's HTTP goes the same way as the relay's WebSockets. A proxy
that fails raises the typed :class:`~relaydesk.errors.ProxyError`.

``requests`` (~8 MiB) is imported when the first request is made, not with
this module: a provider is built when a profile is chosen, long before (and
often without) a token being needed.
"""

from __future__ import annotations

import os
import re
import ssl
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import certifi

from relaydesk.errors import InvalidField, ProxyError
from relaydesk.proxy import (
    ProxyRoute,
    ProxySettings,
    refused,
    socks_refused,
    tls_failed,
    unreachable,
)

if TYPE_CHECKING:
    import requests

__all__ = ["AuthorityHttpClient", "CaBundle", "base_ca_bundle", "proxies_for", "proxy_error"]


def base_ca_bundle() -> str:
    """The CA bundle requests would use: the env's choice, else certifi's."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        value = os.environ.get(name, "").strip()
        if value and Path(value).is_file():
            return value
    return certifi.where()


class CaBundle:
    """A CA bundle path for ``verify=``, combined with an extra CA when asked.

    Args:
        extra_ca: an extra PEM file to trust, or ``None``.
        trust_system_cas: keep the base bundle (:func:`base_ca_bundle`) and add
            ``extra_ca`` to it; ``False`` trusts only ``extra_ca``.

    Raises:
        InvalidField: ``field="ca_file"`` when the extra CA cannot be read.
    """

    def __init__(
        self, extra_ca: Path | str | None = None, *, trust_system_cas: bool = True
    ) -> None:
        self._temp: Path | None = None
        if extra_ca is None:
            self.path = base_ca_bundle()
            return
        extra = _read_pem(Path(extra_ca))
        if not trust_system_cas:
            self.path = str(Path(extra_ca))
            return
        base = Path(base_ca_bundle()).read_text(encoding="utf-8", errors="replace")
        handle, name = tempfile.mkstemp(prefix="relaydesk-ca-", suffix=".pem")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(base.rstrip("\n") + "\n" + extra.rstrip("\n") + "\n")
        self._temp = Path(name)
        self.path = name
        self._finalizer = weakref.finalize(self, _unlink, self._temp)

    def close(self) -> None:
        """Delete the combined bundle file, if one was written."""
        if self._temp is not None:
            self._finalizer()
            self._temp = None

    def __repr__(self) -> str:
        return f"CaBundle({self.path!r})"


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def _read_pem(path: Path) -> str:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidField("ca_file", f"cannot read the CA file {str(path)!r}: {exc}") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise InvalidField("ca_file", f"{str(path)!r} holds no PEM certificate")
    return text


def proxies_for(url: str, settings: ProxySettings | None = None) -> dict[str, str]:
    """requests' ``proxies=`` for ``url`` (``settings`` ``None`` = system mode)."""
    route = (settings or ProxySettings()).route(url)
    if route is None:
        return {}
    with_credentials = route.url_with_credentials()
    return {"https": with_credentials, "http": with_credentials}


_TUNNEL_STATUS = re.compile(r"Tunnel connection failed: (\d{3})")
_SOCKS_REPLY = re.compile(r"0x0[1-8]: ([^\"')]+)")


def proxy_error(exc: BaseException, route: ProxyRoute, target: str) -> ProxyError | None:
    """The typed error for a requests failure through ``route``, or ``None``.

    urllib3 reports a refused ``CONNECT`` as ``ProxyError`` whose text holds
    ``Tunnel connection failed: <status>``; a proxy it could not reach as a
    ``ProxyError`` around the socket error.
    """
    import requests

    if isinstance(exc, requests.exceptions.ProxyError):
        match = _TUNNEL_STATUS.search(str(exc))
        if match:
            return refused(route, target, int(match.group(1)))
        return unreachable(route, target, "connection failed")
    if route.scheme.startswith("socks") and isinstance(exc, requests.exceptions.ConnectionError):
        # PySocks' texts: "Error connecting to SOCKS5 proxy …: [Errno 111] Connection
        # refused" when the proxy is down, "0x02: Connection not allowed by ruleset"
        # (a SOCKS5 reply code) when it refuses, "SOCKS5 authentication failed".
        text = str(exc)
        reply = _SOCKS_REPLY.search(text)
        if reply:
            return socks_refused(route, target, reply.group(1).strip())
        if "authentication" in text.lower():
            return socks_refused(route, target, "authentication failed")
        return unreachable(route, target, "connection failed")
    if isinstance(exc, requests.exceptions.SSLError):
        cause = "certificate not trusted" if "CERTIFICATE_VERIFY_FAILED" in str(exc) else "TLS"
        return tls_failed(route, target, cause)
    if isinstance(exc, ssl.SSLError):
        return tls_failed(route, target, str(exc.reason or exc))
    return None


class AuthorityHttpClient:
    """The minimal ``get``/``post``/``close`` client MSAL accepts as ``http_client``.

    Args:
        verify: CA bundle path passed as ``verify=`` on every request.
        timeout: seconds for connect and for read.
        proxy: the proxy mode (``None`` = system).
    """

    def __init__(
        self, verify: str, *, timeout: float = 30.0, proxy: ProxySettings | None = None
    ) -> None:
        self._verify = verify
        self._timeout = timeout
        self._proxy = proxy or ProxySettings()
        #: HTTP status of the last response (MSAL's error dicts lack it).
        self.last_status: int | None = None
        self._session: requests.Session | None = None  # made on the first request

    def _opened(self) -> requests.Session:
        if self._session is None:
            import requests.adapters

            session = requests.Session()
            session.trust_env = False
            session.verify = self._verify
            # One retry on connection errors, as MSAL's own default session does.
            session.mount("https://", requests.adapters.HTTPAdapter(max_retries=1))
            self._session = session
        return self._session

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        import requests

        session = self._opened()
        kwargs.setdefault("timeout", self._timeout)
        kwargs["verify"] = self._verify
        route = self._proxy.route(url)
        kwargs["proxies"] = proxies_for(url, self._proxy)
        self.last_status = None
        try:
            response = session.request(method, url, **kwargs)
        except (requests.exceptions.RequestException, ssl.SSLError) as exc:
            if route is not None:
                parts = urlsplit(url)
                typed = proxy_error(exc, route, f"{parts.hostname}:{parts.port or 443}")
                if typed is not None:
                    raise typed from exc
            raise
        self.last_status = response.status_code
        return response

    def post(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        return self._request("POST", url, params=params, data=data, headers=headers, **kwargs)

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        return self._request("GET", url, params=params, headers=headers, **kwargs)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def __repr__(self) -> str:
        return f"AuthorityHttpClient(verify={self._verify!r})"
