"""Persistence of the emulated world's generated credentials.

Secrets, keys and ids that the configuration does not give are generated at
random **once per data directory** and persisted in ``world-state.json``
(mode 0600) next to the JWT signing key ``jwt-signing-key.pem`` (mode 0600,
the key of §10.4), so a restart with the same data directory keeps every
credential a user has copied. The state is a plain JSON mapping;
``world_config.py`` reads and fills it.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from relaydesk.atomic_files import write_atomically
from relaydesk.emulator.world_model import SigningKey
from relaydesk.errors import EmulatorError

__all__ = [
    "SIGNING_KEY_FILE",
    "STATE_FILE",
    "load_signing_key",
    "read_state",
    "write_private",
]

STATE_FILE = "world-state.json"
SIGNING_KEY_FILE = "jwt-signing-key.pem"


def read_state(path: Path) -> dict[str, Any]:
    """The persisted state mapping of ``path`` (empty when there is none yet).

    Raises:
        EmulatorError: the file is not a JSON object (the message says to delete it).
    """
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise EmulatorError(f"{path}: corrupt emulator state file ({exc}); delete it") from exc
    if not isinstance(data, dict):
        raise EmulatorError(f"{path}: corrupt emulator state file; delete it")
    return data


def write_private(path: Path, text: str | bytes) -> None:
    """Write ``path`` atomically with mode 0600 (it holds secrets)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise EmulatorError(f"{path}: cannot write: {exc.strerror}") from exc


def load_signing_key(data_dir: Path, state: dict[str, Any]) -> SigningKey:
    """The data directory's JWT signing key (§10.4), generated on first use.

    A new key gets a new random ``kid``, recorded in ``state`` (the caller
    writes the state); an existing key file without a ``kid`` is replaced.

    Raises:
        EmulatorError: the key file is unreadable, or cannot be written.
    """
    path = data_dir / SIGNING_KEY_FILE
    kid = state.get("signing_kid")
    if path.exists() and isinstance(kid, str):
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise EmulatorError(f"{path}: unreadable JWT signing key; delete it") from exc
        if isinstance(key, rsa.RSAPrivateKey):
            return SigningKey(kid, key)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private(path, pem)
    state["signing_kid"] = kid = secrets.token_urlsafe(20)
    return SigningKey(kid, key)
