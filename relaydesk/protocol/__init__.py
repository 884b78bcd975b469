"""Sans-I/O Hybrid Connections protocol core: no asyncio, no sockets, no Qt."""
