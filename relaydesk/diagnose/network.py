"""The network half of a diagnosis: name, proxy, TCP and TLS to the namespace.

One :class:`NetworkPath` per diagnosis walks the same way a WebSocket to the
relay goes: resolve the namespace host, ``CONNECT`` through the proxy (or
connect directly), then TLS on that very connection, and reports what each
hop showed. The proxy's ``CONNECT`` is made by websockets' own
``connect_http_proxy`` (the code every control channel uses), a SOCKS5
handshake by python-socks (what websockets uses for SOCKS), not by hand;
only the TLS handshake is started here (``loop.start_tls``), because the
diagnosis must read the certificate even when it is not trusted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import time
from typing import Any

from relaydesk.diagnose.model import DiagnoseConfig, DiagnoseStatus
from relaydesk.diagnose.outcome import StepFailed, StepOutcome
from relaydesk.proxy import ProxySettings
from relaydesk.relay.events import ErrorInfo
from relaydesk.relay.proxy_failures import websocket_proxy_error
from relaydesk.relay.tls import make_ssl_context
from relaydesk.relay.transport import USER_AGENT

__all__ = ["TLS_INSPECTION_REMEDY", "NetworkPath", "describe_certificate"]

TLS_INSPECTION_REMEDY = (
    "TLS inspection by a proxy or firewall is likely: trust your organisation's CA "
    "with --ca-file / the profile's CA file."
)
#: A certificate that expires sooner than this is a warning.
EXPIRY_WARNING = dt.timedelta(days=14)


def describe_certificate(der: bytes) -> dict[str, Any]:
    """Subject, SAN, issuer and validity of a DER certificate (display-safe)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(der)

    def common_name(name: x509.Name) -> str:
        values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(values[0].value) if values else name.rfc4514_string()

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
        names += [str(a) for a in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    return {
        "subject": common_name(cert.subject),
        "san": names,
        "issuer": common_name(cert.issuer),
        "not_after": cert.not_valid_after_utc.isoformat().replace("+00:00", "Z"),
    }


class NetworkPath:
    """Walks name → proxy → TCP → TLS to the namespace host, one step at a time."""

    def __init__(self, config: DiagnoseConfig) -> None:
        self._config = config
        self.host = config.address.host
        self.port = config.address.port or 443
        self.target = f"{self.host}:{self.port}"
        self.route = (config.proxy or ProxySettings()).route(f"wss://{self.target}/")
        self._transport: asyncio.Transport | None = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.abort()
            self._transport = None

    # --- 1. name resolution --------------------------------------------------------

    async def dns(self) -> StepOutcome:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            pass
        else:
            return StepOutcome(f"{self.host} is an IP address: nothing to resolve")
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            if self.route is not None:
                return StepOutcome(
                    f"this machine cannot resolve {self.host}; the proxy will",
                    {"error": exc.strerror or str(exc)},
                    DiagnoseStatus.WARNING,
                    ErrorInfo(
                        "NameNotResolved",
                        f"{self.host} does not resolve here ({exc.strerror})",
                        "Normal behind some proxies; if the proxy step fails too, check the name.",
                    ),
                )
            raise StepFailed(
                f"the name {self.host} does not resolve ({exc.strerror or exc})",
                remedy="Check the namespace name (…servicebus.windows.net) and this machine's "
                "DNS; behind a proxy, configure it (--proxy or HTTPS_PROXY).",
            ) from None
        seconds = time.monotonic() - started
        addresses = sorted({str(info[4][0]) for info in infos})
        chain = await asyncio.to_thread(_aliases, self.host)
        seen = {"addresses": addresses, "cname_chain": chain, "ms": round(seconds * 1000, 1)}
        via = f" via {' → '.join(chain)}" if chain else ""
        return StepOutcome(f"{self.host}{via} → {', '.join(addresses)}", seen)

    # --- 2. proxy --------------------------------------------------------------------

    async def proxy(self) -> StepOutcome:
        mode = (self._config.proxy or ProxySettings()).mode
        if self.route is None:
            why = {"none": "proxy mode none", "system": "no proxy set for this host"}
            return StepOutcome(
                f"direct connection ({why.get(mode, mode)})", {"mode": mode, "proxy": None}
            )
        seen: dict[str, Any] = {
            "mode": mode,
            "proxy": self.route.url,
            "source": self.route.source,
            "user": self.route.username,
        }
        started = time.monotonic()
        self._transport = await self._tunnel()
        seen["connect_ms"] = round((time.monotonic() - started) * 1000, 1)
        return StepOutcome(f"CONNECT {self.target} through {self.route.describe()}: 200", seen)

    async def _tunnel(self) -> asyncio.Transport:
        """``CONNECT`` through the proxy with websockets' own implementation."""
        from websockets.asyncio.client import connect_http_proxy
        from websockets.proxy import parse_proxy
        from websockets.uri import parse_uri

        route = self.route
        assert route is not None
        if route.scheme.startswith("socks"):
            return await self._socks_tunnel()
        try:
            return await connect_http_proxy(
                parse_proxy(route.url_with_credentials()),
                parse_uri(f"wss://{self.target}/"),
                user_agent_header=USER_AGENT,
            )
        except Exception as exc:
            typed = websocket_proxy_error(exc, route, self.target)
            if typed is None:
                raise
            raise typed from None

    async def _socks_tunnel(self) -> asyncio.Transport:
        """The SOCKS5 handshake by python-socks (what websockets uses), then a transport."""
        from python_socks.async_.asyncio import Proxy

        route = self.route
        assert route is not None
        try:
            proxy = Proxy.from_url(route.url_with_credentials(), rdns=True)
            sock = await proxy.connect(dest_host=self.host, dest_port=self.port)
        except Exception as exc:
            typed = websocket_proxy_error(exc, route, self.target)
            if typed is None:
                raise
            raise typed from None
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(asyncio.Protocol, sock=sock)
        return transport

    # --- 3. TCP ----------------------------------------------------------------------

    async def tcp(self) -> StepOutcome:
        if self._transport is not None:
            return StepOutcome(f"the proxy's tunnel to {self.target} is open", {"via_proxy": True})
        started = time.monotonic()
        try:
            self._transport = await self._direct()
        except OSError as exc:
            raise StepFailed(
                f"cannot connect to {self.target} ({exc.strerror or type(exc).__name__})",
                remedy="Check the host and port (Azure Relay uses 443) and that a firewall "
                "lets this machine out on that port.",
            ) from None
        peer = self._transport.get_extra_info("peername")
        ms = round((time.monotonic() - started) * 1000, 1)
        return StepOutcome(
            f"connected to {peer[0]}:{peer[1]} in {ms} ms",
            {"peer": f"{peer[0]}:{peer[1]}", "ms": ms},
        )

    async def _direct(self) -> asyncio.Transport:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(asyncio.Protocol, self.host, self.port)
        return transport

    # --- 4. TLS ----------------------------------------------------------------------

    async def tls(self) -> StepOutcome:
        transport = self._transport
        assert transport is not None
        context = make_ssl_context(self._config.ca_file)
        try:
            secured = await self._start_tls(transport, context)
        except ssl.SSLCertVerificationError as exc:
            self._transport = None
            seen = await self._untrusted_certificate()
            raise StepFailed(
                f"the certificate of {self.target} is not trusted ({exc.verify_message}); "
                f"issued by {seen.get('issuer', 'an unknown CA')}",
                remedy=TLS_INSPECTION_REMEDY,
                seen=seen,
            ) from None
        except (ssl.SSLError, ConnectionError) as exc:
            self._transport = None
            raise StepFailed(
                f"{self.target} does not speak TLS ({_ssl_reason(exc)}): it is not the relay "
                "(a plain-HTTP port, or something else on the way)",
                remedy="Use the relay's TLS port (443 for Azure Relay; the emulator's port "
                "from its ready line).",
            ) from None
        self._transport = secured
        return self._tls_outcome(secured)

    async def _start_tls(
        self, transport: asyncio.Transport, context: ssl.SSLContext
    ) -> asyncio.Transport:
        loop = asyncio.get_running_loop()
        secured = await loop.start_tls(
            transport,
            transport.get_protocol(),
            context,
            server_hostname=self.host,
            ssl_handshake_timeout=self._config.step_timeout,
        )
        assert secured is not None
        return secured

    def _tls_outcome(self, secured: asyncio.Transport) -> StepOutcome:
        ssl_object = secured.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True)
        seen: dict[str, Any] = {
            "version": ssl_object.version(),
            "cipher": ssl_object.cipher()[0],
            "trusted": True,
            **(describe_certificate(der) if der else {}),
        }
        summary = f"{seen['version']}, {seen['cipher']}, certificate for {seen.get('subject')}"
        expires = dt.datetime.fromisoformat(str(seen.get("not_after", "")).replace("Z", "+00:00"))
        left = expires - dt.datetime.now(dt.UTC)
        if left < EXPIRY_WARNING:
            return StepOutcome(
                summary,
                seen,
                DiagnoseStatus.WARNING,
                ErrorInfo(
                    "CertificateExpiring",
                    f"the certificate expires on {seen['not_after']}",
                    "Renew the certificate (the emulator makes a new one when its data dir is "
                    "cleared).",
                ),
            )
        return StepOutcome(summary, seen)

    async def _untrusted_certificate(self) -> dict[str, Any]:
        """Connect again without verification, only to read the certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        transport: asyncio.Transport | None = None
        try:
            raw = await (self._tunnel() if self.route is not None else self._direct())
            transport = await self._start_tls(raw, context)
            der = transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
            return {"trusted": False, **(describe_certificate(der) if der else {})}
        except Exception:  # noqa: BLE001 - the details are a bonus; the failure is known
            return {"trusted": False}
        finally:
            if transport is not None:
                transport.abort()


def _aliases(host: str) -> list[str]:
    """The CNAME chain of ``host`` (best effort: empty when the resolver has none)."""
    try:
        canonical, aliases, _ = socket.gethostbyname_ex(host)
    except OSError:
        return []
    chain = [a for a in aliases if a != host]
    if canonical != host:
        chain.append(canonical)
    return chain


def _ssl_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return str(exc.reason or exc).replace("_", " ").lower()
    return type(exc).__name__
