"""Qt item models and the Qt-free presentation logic behind them.

Modules without a ``Q`` in their imports (formatting, redaction, timeline
entries, token status, message rows, session export) are plain Python so they
can be unit-tested without a display.
"""
