"""RelayDesk: a desktop utility for Azure Relay Hybrid Connections.

The protocol core (:mod:`relaydesk.protocol`), the token providers
(:mod:`relaydesk.auth`), the relay client (:mod:`relaydesk.relay`), the
emulator (:mod:`relaydesk.emulator`) and the CLI (:mod:`relaydesk.cli`) are
Qt-free; only :mod:`relaydesk.gui` imports PySide6.
"""

__version__ = "0.1.0"
