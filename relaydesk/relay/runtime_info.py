"""Ask the relay who is listening: the runtime-information GET (§11).

``GET https://{ns}/{path}?api-version=2016-07`` with the token in
``Authorization`` and ``X-PROCESS-AT: ServiceBus``, exactly as the .NET
SDK's ``GetRuntimeInformationAsync`` sends it. The Atom answer is parsed by
:func:`relaydesk.protocol.runtime_info.parse_runtime_info`; a feed ("no
such entity") raises :class:`~relaydesk.errors.EntityNotFound`, a service
refusal its typed error, a network failure
:class:`~relaydesk.errors.RelayUnreachable`.
"""

from __future__ import annotations

import ssl

import aiohttp

from relaydesk.errors import EntityNotFound
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.runtime_info import (
    PROCESS_AT_HEADER,
    PROCESS_AT_VALUE,
    RUNTIME_INFO_API_VERSION,
    RuntimeInfo,
    parse_runtime_info,
)
from relaydesk.proxy import ProxySettings
from relaydesk.relay.failures import handshake_error
from relaydesk.relay.http_proxy import HttpProxy
from relaydesk.relay.tokens import TokenProviderLike
from relaydesk.relay.transport import USER_AGENT

__all__ = ["get_runtime_info", "runtime_info_url"]

DEFAULT_TIMEOUT = 30.0


def runtime_info_url(address: HybridConnectionAddress) -> str:
    """``https://{ns}/{path}?api-version=2016-07`` (§11)."""
    return address.http_url(query=f"api-version={RUNTIME_INFO_API_VERSION}")


async def get_runtime_info(
    address: HybridConnectionAddress,
    token_provider: TokenProviderLike,
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - bounds the aiohttp session
    proxy: ProxySettings | None = None,
) -> RuntimeInfo:
    """Return the relay's runtime information for ``address``.

    Args:
        address: the hybrid connection.
        token_provider: a token with any right on the entity (Listen, Send
            or Manage); the relay refuses requests without one.
        ssl_context: TLS trust.
        timeout: total seconds for the request.
        proxy: how to reach the relay; ``None`` = system mode.

    Raises:
        EntityNotFound: the relay answered with a feed (no such entity) or 404.
        Unauthorized, Forbidden, HandshakeFailed: the relay refused.
        RemoteProtocolViolation: the answer is not a valid Atom document.
        ProxyError: the proxy on the way failed.
        RelayUnreachable: TCP/TLS/timeout.
        AuthError: no token could be obtained.
    """
    token = (await token_provider.get_token()).value.reveal()
    headers = {PROCESS_AT_HEADER: PROCESS_AT_VALUE, "User-Agent": USER_AGENT}
    if token:
        headers["Authorization"] = token
    url = runtime_info_url(address)
    via = HttpProxy.for_url(proxy, url)
    try:
        async with (
            aiohttp.ClientSession(
                connector=via.connector(ssl_context if ssl_context else True),
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as session,
            session.get(url, headers=headers, **via.kwargs()) as response,
        ):
            body = await response.content.read(256 * 1024)
            status, reason = response.status, response.reason or ""
            content_type = response.headers.get("Content-Type", "")
            response_headers = dict(response.headers)
    except via.errors as exc:
        raise via.error(exc, address.namespace) from exc
    if status >= 300:
        raise handshake_error(status, reason, body, headers=response_headers)
    info = parse_runtime_info(body, content_type)
    if info is None:
        raise EntityNotFound(404, f"the relay knows no hybrid connection {address.entity_path!r}")
    return info
