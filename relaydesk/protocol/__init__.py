"""Sans-I/O Hybrid Connections protocol core: no asyncio, no sockets, no Qt.

Re-exports the public names of :mod:`.address`, :mod:`.messages`,
:mod:`.sas`, :mod:`.connection_string` and :mod:`.runtime_info` (see docs/design.md).
"""

from __future__ import annotations

from relaydesk.protocol.address import (
    ENTITY_PATH_MAX_LENGTH,
    HybridConnectionAddress,
    check_entity_path,
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
