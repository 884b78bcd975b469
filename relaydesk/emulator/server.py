"""The emulator: world + certificates + Entra + relay + admin on one TLS port.

``Emulator(EmulatorOptions(...))`` is an async context manager (or call
:meth:`Emulator.start` / :meth:`Emulator.stop`). It binds 127.0.0.1 by
default; any other host needs ``allow_non_loopback=True`` and logs a
warning, because the emulator's secrets are printed in its ready line.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from relaydesk.emulator.admin import ADMIN_PREFIX, AdminApi
from relaydesk.emulator.authz import Authorizer, loopback_host_check
from relaydesk.emulator.certs import ensure_certificates, server_ssl_context
from relaydesk.emulator.context import HybridConnectionInfo, RelayContext, RelaySettings
from relaydesk.emulator.entra import EntraService, JwtValidator, check_token_lifetime
from relaydesk.emulator.faults import Faults
from relaydesk.emulator.hc_endpoint import Relay
from relaydesk.emulator.jwt_tokens import DEFAULT_LEEWAY
from relaydesk.emulator.request_guard import Refusal, http_logger, request_guard
from relaydesk.emulator.user_signin import UserSignIn
from relaydesk.emulator.world import World, load_world
from relaydesk.errors import EmulatorError
from relaydesk.protocol.address import is_loopback_host

__all__ = ["Emulator", "EmulatorOptions", "default_data_dir"]

LOGGER_NAME = "relaydesk.emulator"
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
#: Largest HTTP sender body the emulator reads (rendezvous carries any size).
MAX_REQUEST_BODY = 256 * 1024 * 1024
#: Longest request line / header field accepted.
MAX_HEADER_FIELD = 64 * 1024


def default_data_dir() -> Path:
    """``platformdirs.user_data_dir("relaydesk")/emulator``."""
    import platformdirs

    return Path(platformdirs.user_data_dir("relaydesk")) / "emulator"


@dataclass(frozen=True)
class EmulatorOptions:
    """How to run the emulator.

    Attributes:
        host: address to bind; loopback unless ``allow_non_loopback``.
        port: TCP port, 0 = any free port.
        data_dir: where certificates, secrets and keys live (default:
            :func:`default_data_dir`).
        config_file: optional world configuration (see ``world.py``).
        token_lifetime: seconds an Entra access token is valid.
        allow_non_loopback: permit binding a non-loopback host.
        token_expiry_grace: seconds a control channel outlives its token (§4.6).
        token_leeway: clock skew, in seconds, the JWT validator allows past a
            token's ``exp`` and before its ``nbf`` (default 5 s, as Entra
            validators commonly allow); tests set 0 to see an expiry at once.
        http_response_timeout: listener deadline for HTTP requests (§7.3: 60 s).
        rendezvous_timeout: validity of accept addresses and how long a
            WebSocket sender waits for the listener (§5.2: 30 s).
        max_listeners: listeners per hybrid connection (§4.7: 25).
        gateway_port: ``None`` mints rendezvous addresses on the main port;
            a number (0 = any free port) serves rendezvous on a second port
            of the same host, as Azure sends rendezvous to gateway hosts other
            than the namespace's (diagnosis tests close it to play a firewall).
        device_code_interval: seconds a device signing a user in waits
            between polls of the token endpoint (RFC 8628; Entra: 5).
    """

    host: str = "127.0.0.1"
    port: int = 0
    data_dir: Path | None = None
    config_file: Path | None = None
    token_lifetime: float = 3600
    allow_non_loopback: bool = False
    token_expiry_grace: float = 0.0
    token_leeway: float = DEFAULT_LEEWAY
    http_response_timeout: float = 60.0
    rendezvous_timeout: float = 30.0
    max_listeners: int = 25
    gateway_port: int | None = None
    device_code_interval: int = 5

    def validate(self) -> None:
        """Raise :class:`EmulatorError` for options that make no sense or expose the emulator."""
        _check_options(self)


class _WorldCatalog:
    """Adapts :class:`World` to the relay's :class:`EntityCatalog`."""

    def __init__(self, world: World) -> None:
        self._world = world

    def names(self) -> list[str]:
        return list(self._world.hybrid_connections)

    def get(self, name: str) -> HybridConnectionInfo | None:
        hc = self._world.hybrid_connection(name)
        if hc is None:
            return None
        return HybridConnectionInfo(hc.name, hc.requires_client_authorization, hc.user_metadata)


def _check_options(options: EmulatorOptions) -> None:
    """Refuse options that make no sense or expose the emulator."""
    if not 0 <= options.port <= 65535:
        raise EmulatorError(f"port {options.port} is out of range 0-65535")
    # Non-finite values would pass a plain comparison (nan) or break later
    # (inf seconds cannot be an int "expires_in" or a JWT "exp").
    check_token_lifetime(options.token_lifetime)
    for name in ("http_response_timeout", "rendezvous_timeout"):
        value = getattr(options, name)
        if not (value > 0 and math.isfinite(value)):
            raise EmulatorError(f"{name} must be a positive finite number, not {value!r}")
    for name in ("token_expiry_grace", "token_leeway"):
        value = getattr(options, name)
        if not (value >= 0 and math.isfinite(value)):
            raise EmulatorError(f"{name} must be a finite number >= 0, not {value!r}")
    if options.max_listeners < 1:
        raise EmulatorError("max_listeners must be >= 1")
    if not is_loopback_host(options.host) and not options.allow_non_loopback:
        raise EmulatorError(
            f"refusing to bind non-loopback host {options.host!r}; "
            "pass allow_non_loopback=True (--allow-non-loopback) to expose the emulator"
        )


def _application(relay: Relay, entra: EntraService, admin: AdminApi) -> web.Application:
    """One aiohttp application: the request guard, then Entra, admin and relay routes."""
    app = web.Application(
        client_max_size=MAX_REQUEST_BODY,
        middlewares=[request_guard(_refusal_by_owner(relay, entra, admin))],
        handler_args={
            # Large tokens (JWTs, URLs with sb-hc-token) must reach the
            # authorizer and get a 401, not die in the HTTP parser.
            "max_line_size": MAX_HEADER_FIELD,
            "max_field_size": MAX_HEADER_FIELD,
            # The relay forwards bodies as they are (§7.2): a listener gets the
            # sender's gzip bytes with their Content-Encoding, and a body that
            # is not what its Content-Encoding says cannot fail in aiohttp.
            "auto_decompress": False,
        },
    )
    entra.add_routes(app)  # before the relay's catch-all route
    admin.add_routes(app)
    relay.add_routes(app)
    return app


def _refusal_by_owner(relay: Relay, entra: EntraService, admin: AdminApi) -> Refusal:
    """The 400 for an unreadable request head, in the dialect of the endpoint it reached.

    Routing happens before middlewares run: the matched handler is a bound
    method of the service that owns the route. Entra answers with its error
    JSON (AADSTS), the admin API with its own, everything else like the relay.
    """

    def refuse(request: web.Request, reason: str) -> web.StreamResponse:
        owner: object = getattr(request.match_info.handler, "__self__", None)
        if owner is entra:
            return entra.malformed_request(request, reason)
        if owner is admin:
            return admin.malformed_request(reason)
        return relay.malformed_request(request, reason)

    return refuse


def _namespace(host: str, port: int) -> str:
    bare = host.strip("[]")
    return f"[{bare}]:{port}" if ":" in bare else f"{bare}:{port}"


class Emulator:
    """A running (or startable) emulator.

    Attributes (after :meth:`start`): ``port``, ``namespace``
    (``"127.0.0.1:PORT"``), ``ca_file``, ``authority``
    (``"https://127.0.0.1:PORT/<tenant>"``), ``tenant_id``, ``world``,
    ``faults``, ``admin_url``, ``admin_key``.
    """

    def __init__(self, options: EmulatorOptions | None = None) -> None:
        self.options = options or EmulatorOptions()
        self.logger = logging.getLogger(LOGGER_NAME)
        self.admin_key = secrets.token_urlsafe(24)
        self._runner: web.AppRunner | None = None
        self._relay: Relay | None = None
        self._world: World | None = None
        self._faults: Faults | None = None
        self._ca_file: Path | None = None
        self._gateway: web.SockSite | None = None
        self.port = 0
        #: the rendezvous port when ``options.gateway_port`` is set, else ``None``
        self.gateway_port: int | None = None

    # --- lifecycle -------------------------------------------------------------

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Load the world and certificates, then listen.

        Raises:
            EmulatorError: bad options, unusable data dir/config, port in use.
        """
        if self._runner is not None:
            raise EmulatorError("the emulator is already running")
        options = self.options
        options.validate()
        if not is_loopback_host(options.host):
            self.logger.warning(
                "binding non-loopback host %s: the emulator is reachable from other machines",
                options.host,
            )
        data_dir = options.data_dir or default_data_dir()
        world, files, ssl_context = await asyncio.to_thread(self._prepare, data_dir)
        sock = self._bind()
        self.port = sock.getsockname()[1]
        gateway_sock = None if options.gateway_port is None else self._bind(options.gateway_port)
        if gateway_sock is not None:
            self.gateway_port = gateway_sock.getsockname()[1]
        runner: web.AppRunner | None = None
        try:
            runner = web.AppRunner(
                self._build_app(world),
                access_log=None,
                handle_signals=False,
                shutdown_timeout=2.0,
                logger=http_logger(),
            )
            await runner.setup()
            await web.SockSite(runner, sock, ssl_context=ssl_context).start()
            if gateway_sock is not None:
                self._gateway = web.SockSite(runner, gateway_sock, ssl_context=ssl_context)
                await self._gateway.start()
        except BaseException:
            if runner is not None:
                await runner.cleanup()
            sock.close()
            if gateway_sock is not None:
                gateway_sock.close()
            raise
        self._runner, self._world, self._ca_file = runner, world, files.ca_file
        self.logger.info(
            "emulator listening on https://%s (tenant %s)", self.namespace, world.tenant_id
        )

    def _prepare(self, data_dir: Path) -> tuple[World, Any, ssl.SSLContext]:
        """Blocking part of start: world (keys, secrets), TLS files and context."""
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EmulatorError(f"{data_dir}: cannot create the data dir: {exc.strerror}") from exc
        world = load_world(data_dir, self.options.config_file)
        files = ensure_certificates(data_dir, extra_names=self._extra_names())
        return world, files, server_ssl_context(files)

    def _extra_names(self) -> list[str]:
        """Names beyond localhost/127.0.0.1/::1 that the host must answer to."""
        return [] if is_loopback_host(self.options.host) else [self.options.host]

    async def close_gateway(self) -> None:
        """Stop serving the rendezvous port (a firewall that blocks gateway hosts)."""
        if self._gateway is not None:
            await self._gateway.stop()
            self._gateway = None

    def _bind(self, port: int | None = None) -> socket.socket:
        """Bind a listening socket ourselves so port 0 yields a known port."""
        host = self.options.host.strip("[]")
        port = self.options.port if port is None else port
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            raise EmulatorError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        sock.setblocking(False)
        return sock

    def _build_app(self, world: World) -> web.Application:
        """Compose Entra, admin and relay routes on one aiohttp application."""
        options = self.options
        settings = RelaySettings(
            rendezvous_timeout=options.rendezvous_timeout,
            http_response_timeout=options.http_response_timeout,
            max_listeners=options.max_listeners,
            token_expiry_grace=options.token_expiry_grace,
        )
        authorizer = Authorizer(
            world,
            namespace_host_check=loopback_host_check(self._extra_names()),
            jwt_validator=JwtValidator(world, leeway=options.token_leeway),
        )
        ctx = RelayContext(
            settings=settings,
            catalog=_WorldCatalog(world),
            authorizer=authorizer,
            logger=self.logger,
            namespace=_namespace(options.host, self.port),
        )
        if self.gateway_port is not None:
            settings.rendezvous_authority = _namespace(options.host, self.gateway_port)
        relay = self._relay = Relay(ctx)
        users = UserSignIn(
            world,
            token_lifetime=options.token_lifetime,
            device_code_interval=options.device_code_interval,
        )
        self._faults = Faults(ctx, world, users)
        entra = EntraService(world, token_lifetime=options.token_lifetime, users=users)
        admin = AdminApi(ctx, self._faults, self.admin_key)
        return _application(relay, entra, admin)

    async def stop(self) -> None:
        """Close every WebSocket with 1001 "going away", then stop listening."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        if self._relay is not None:
            await self._relay.close_all()
        server = runner.server
        transports = [h.transport for h in server.connections] if server is not None else []
        await runner.cleanup()
        # aiohttp closes idle keep-alive connections with a TLS close_notify and
        # waits up to 30 s for the peer's; a client that pools connections and
        # never reads them (requests, under MSAL) never answers, so the socket
        # would outlive the loop. A connection accepted while the site stopped
        # (asyncio 3.11) is never closed by aiohttp at all. The server is gone:
        # drop what is left, both kinds.
        if server is not None:
            transports += [h.transport for h in server.connections]
        for transport in transports:
            if transport is not None:
                transport.abort()
        self.logger.info("emulator stopped")

    # --- facts -------------------------------------------------------------------

    def _require(self) -> tuple[World, Faults, Path]:
        if self._world is None or self._faults is None or self._ca_file is None:
            raise EmulatorError("the emulator is not running")
        return self._world, self._faults, self._ca_file

    @property
    def world(self) -> World:
        """The emulated tenant and namespace."""
        return self._require()[0]

    @property
    def faults(self) -> Faults:
        """The fault controls."""
        return self._require()[1]

    @property
    def ca_file(self) -> Path:
        """The CA certificate clients must trust."""
        return self._require()[2]

    @property
    def namespace(self) -> str:
        """``host:port`` of the emulated namespace."""
        return _namespace(self.options.host, self.port)

    @property
    def tenant_id(self) -> str:
        """The emulated tenant's GUID."""
        return self.world.tenant_id

    @property
    def authority(self) -> str:
        """The Entra authority URL (for MSAL, §12)."""
        return f"https://{self.namespace}/{self.tenant_id}"

    @property
    def admin_url(self) -> str:
        """Base URL of the admin endpoint."""
        return f"https://{self.namespace}{ADMIN_PREFIX}"

    @property
    def rendezvous_in_flight(self) -> int:
        """How many rendezvous addresses are open: senders whose rendezvous
        (§5.2, §7.2) has neither completed nor failed yet."""
        if self._relay is None:
            raise EmulatorError("the emulator is not running")
        return len(self._relay.ctx.hub.rendezvous)

    def ready_info(self) -> dict[str, Any]:
        """The ready line's JSON: everything a client needs, secrets included."""
        world = self.world
        return {
            "namespace": self.namespace,
            "ca_file": str(self.ca_file),
            "authority": self.authority,
            "tenant_id": world.tenant_id,
            "hybrid_connections": [
                {"name": hc.name, "requires_client_authorization": hc.requires_client_authorization}
                for hc in world.hybrid_connections.values()
            ],
            "identities": [
                {
                    "name": i.name,
                    "client_id": i.client_id,
                    "client_secret": i.client_secret,
                    "roles": [{"role": r.role, "scope": r.scope} for r in i.roles],
                    "user_consent": "admin"
                    if i.consented_users is None
                    else sorted(i.consented_users),
                }
                for i in world.identities.values()
            ],
            "users": [
                {
                    "name": u.name,
                    "upn": u.upn,
                    "password": u.password,
                    "object_id": u.object_id,
                    "roles": [{"role": r.role, "scope": r.scope} for r in u.roles],
                    "home_tenant": u.home_tenant,
                }
                for u in world.users.values()
            ],
            "sas_rules": [
                {
                    "name": r.name,
                    "key": r.primary_key,
                    "rights": sorted(right.value for right in r.rights),
                    "scope": r.scope,
                }
                for r in world.sas_rules.values()
            ],
            "token_lifetime": self.options.token_lifetime,
            "admin_url": self.admin_url,
            "admin_key": self.admin_key,
        }
