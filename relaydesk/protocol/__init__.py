"""Sans-I/O Hybrid Connections protocol core: no asyncio, no sockets, no Qt.

Re-exports the public names of :mod:`.address`, :mod:`.messages`,
:mod:`.sas`, :mod:`.connection_string` and :mod:`.runtime_info` (see docs/design.md),
each loaded on first use (:mod:`relaydesk.lazy_exports`): a command that only
parses an address and signs a SAS token does not pay for the XML parser of
:mod:`.runtime_info` or the control messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relaydesk.lazy_exports import lazy_getattr

_EXPORTS: dict[str, str] = {
    "AcceptCommand": "relaydesk.protocol.messages",
    "ConnectionString": "relaydesk.protocol.connection_string",
    "ControlMessage": "relaydesk.protocol.messages",
    "ENTITY_PATH_MAX_LENGTH": "relaydesk.protocol.address",
    "Headers": "relaydesk.protocol.messages",
    "HybridConnectionAddress": "relaydesk.protocol.address",
    "INLINE_BODY_LIMIT": "relaydesk.protocol.messages",
    "RemoteEndpoint": "relaydesk.protocol.messages",
    "RenewTokenCommand": "relaydesk.protocol.messages",
    "RequestCommand": "relaydesk.protocol.messages",
    "ResponseCommand": "relaydesk.protocol.messages",
    "RuntimeInfo": "relaydesk.protocol.runtime_info",
    "SAS_KEYWORD": "relaydesk.protocol.sas",
    "SasToken": "relaydesk.protocol.sas",
    "UnknownCommand": "relaydesk.protocol.messages",
    "build_sas_token": "relaydesk.protocol.sas",
    "check_entity_path": "relaydesk.protocol.address",
    "is_loopback_host": "relaydesk.protocol.address",
    "encode_control_message": "relaydesk.protocol.messages",
    "parse_connection_string": "relaydesk.protocol.connection_string",
    "parse_control_message": "relaydesk.protocol.messages",
    "parse_runtime_info": "relaydesk.protocol.runtime_info",
    "parse_sas_token": "relaydesk.protocol.sas",
    "reject_url": "relaydesk.protocol.address",
    "split_entity_path": "relaydesk.protocol.address",
    "split_host_port": "relaydesk.protocol.address",
    "strip_sb_hc_params": "relaydesk.protocol.address",
    "verify_sas_token": "relaydesk.protocol.sas",
}

if TYPE_CHECKING:
    from relaydesk.protocol.address import (
        ENTITY_PATH_MAX_LENGTH,
        HybridConnectionAddress,
        check_entity_path,
        is_loopback_host,
        reject_url,
        split_entity_path,
        split_host_port,
        strip_sb_hc_params,
    )
    from relaydesk.protocol.connection_string import ConnectionString, parse_connection_string
    from relaydesk.protocol.messages import (
        INLINE_BODY_LIMIT,
        AcceptCommand,
        ControlMessage,
        Headers,
        RemoteEndpoint,
        RenewTokenCommand,
        RequestCommand,
        ResponseCommand,
        UnknownCommand,
        encode_control_message,
        parse_control_message,
    )
    from relaydesk.protocol.runtime_info import RuntimeInfo, parse_runtime_info
    from relaydesk.protocol.sas import (
        SAS_KEYWORD,
        SasToken,
        build_sas_token,
        parse_sas_token,
        verify_sas_token,
    )

__getattr__ = lazy_getattr(globals(), _EXPORTS)

__all__ = [
    "ENTITY_PATH_MAX_LENGTH",
    "INLINE_BODY_LIMIT",
    "SAS_KEYWORD",
    "AcceptCommand",
    "ConnectionString",
    "ControlMessage",
    "Headers",
    "HybridConnectionAddress",
    "RemoteEndpoint",
    "RenewTokenCommand",
    "RequestCommand",
    "ResponseCommand",
    "RuntimeInfo",
    "SasToken",
    "UnknownCommand",
    "build_sas_token",
    "check_entity_path",
    "encode_control_message",
    "is_loopback_host",
    "parse_connection_string",
    "parse_control_message",
    "parse_runtime_info",
    "parse_sas_token",
    "reject_url",
    "split_entity_path",
    "split_host_port",
    "strip_sb_hc_params",
    "verify_sas_token",
]
