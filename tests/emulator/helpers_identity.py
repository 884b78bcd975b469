"""Shared helpers for the identity-half tests (certs, world, Entra, authz).

``serve_entra`` runs the emulated Entra endpoints on a real aiohttp TLS server
on 127.0.0.1 port 0 with the data directory's own CA; tests talk to it over
real HTTPS only.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from relaydesk.emulator.certs import (
    CertificateFiles,
    client_ssl_context,
    ensure_certificates,
    server_ssl_context,
)
from relaydesk.emulator.entra import EntraService
from relaydesk.emulator.world import World, load_world

#: Upper bound for any single network step in these tests.
TIMEOUT = 20.0


@dataclass
class EntraServer:
    """A running Entra emulator: its world, address and trust anchor."""

    world: World
    service: EntraService
    files: CertificateFiles
    host: str
    port: int

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.files.ca_file

    def authority(self, tenant: str | None = None) -> str:
        return f"{self.base_url}/{tenant or self.world.tenant_id}"

    def client_context(self) -> ssl.SSLContext:
        return client_ssl_context(self.ca_file)


@asynccontextmanager
async def serve_app(
    app: web.Application, files: CertificateFiles, host: str = "127.0.0.1"
) -> AsyncIterator[int]:
    """Serve ``app`` over TLS on ``host`` port 0; yield the bound port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, 0, ssl_context=server_ssl_context(files))
        await site.start()
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serve_entra(
    data_dir: Path,
    *,
    token_lifetime: float = 3600,
    config_file: Path | None = None,
    now: Callable[[], float] | None = None,
) -> AsyncIterator[EntraServer]:
    """Run :class:`EntraService` for the world of ``data_dir`` over TLS."""
    files = ensure_certificates(data_dir)
    world = load_world(data_dir, config_file)
    if now is None:
        service = EntraService(world, token_lifetime=token_lifetime)
    else:
        service = EntraService(world, token_lifetime=token_lifetime, now=now)
    app = web.Application()
    service.add_routes(app)
    async with serve_app(app, files) as port:
        yield EntraServer(world, service, files, "127.0.0.1", port)
