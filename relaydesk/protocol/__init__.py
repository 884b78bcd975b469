"""Sans-I/O Hybrid Connections protocol core: no asyncio, no sockets, no Qt.

Modules: :mod:`.address`, :mod:`.messages`, :mod:`.sas`,
:mod:`.connection_string`, :mod:`.runtime_info`, :mod:`.wire_names`,
:mod:`.redaction`, :mod:`.token_info`, :mod:`.clouds` (see docs/design.md).
Import names from them; this ``__init__`` imports nothing, so a command that
only parses an address and signs a SAS token does not pay for the XML parser
of :mod:`.runtime_info` or the control messages.
"""
