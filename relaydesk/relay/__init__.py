"""asyncio relay client: listener, sender, events, retry policy (Qt-free)."""
