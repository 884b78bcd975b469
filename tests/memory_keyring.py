"""A keyring backend in memory: the small fake store unit tests put in the OS keyring's place.

The one integration test with a real Secret Service (gnome-keyring) uses no fake.
"""

from __future__ import annotations

import keyring.backend

__all__ = ["MemoryKeyring"]


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend in memory: stands in for the OS keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)
