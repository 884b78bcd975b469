"""Sans-I/O Hybrid Connections protocol core: no asyncio, no sockets, no Qt.

Re-exports the public names of :mod:`.address`, :mod:`.messages`,
:mod:`.sas` and :mod:`.connection_string` (see docs/design.md).
"""

from __future__ import annotations

from relaydesk.protocol.address import (
    ENTITY_PATH_MAX_LENGTH,
    HybridConnectionAddress,
    check_entity_path,
    split_entity_path,
    split_host_port,
    strip_sb_hc_params,
)
from relaydesk.protocol.sas import (
    SAS_KEYWORD,
    SasToken,
    build_sas_token,
    parse_sas_token,
    verify_sas_token,
)

__all__ = [
    "ENTITY_PATH_MAX_LENGTH",
    "SAS_KEYWORD",
    "HybridConnectionAddress",
    "SasToken",
    "build_sas_token",
    "check_entity_path",
    "parse_sas_token",
    "split_entity_path",
    "split_host_port",
    "strip_sb_hc_params",
    "verify_sas_token",
]
