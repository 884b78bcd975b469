"""``python -m relaydesk``: the same as the ``relaydesk`` command."""

from __future__ import annotations

import sys

from relaydesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
