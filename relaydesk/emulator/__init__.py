"""The local Azure Relay + Entra emulator (asyncio + aiohttp; Qt-free).

Usage::

    from relaydesk.emulator import Emulator, EmulatorOptions

    async with Emulator(EmulatorOptions(data_dir=path)) as emu:
        print(emu.ready_info())
"""

from __future__ import annotations

from relaydesk.emulator.faults import Faults
from relaydesk.emulator.server import Emulator, EmulatorOptions, default_data_dir

__all__ = ["Emulator", "EmulatorOptions", "Faults", "default_data_dir"]
