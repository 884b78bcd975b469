"""Write a file so that readers see the old or the new content, never half.

Profiles, the emulator's persisted world (secrets) and its TLS keys are all
written this way: a temporary file in the same directory, created private
(mode 0600 from the start), flushed to disk, then renamed over the target.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically; the file ends with ``mode``.

    Raises:
        OSError: the directory or file cannot be written (callers turn it
            into their own typed error); no temporary file is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
