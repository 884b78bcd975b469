"""Bridges: own the asyncio tasks and turn the core's event streams into Qt signals.

One bridge per feature (listener, sender, check) plus the workspace (stores and
the current profile). Widgets only see their signals and call plain methods.
"""
