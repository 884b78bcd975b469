"""Reusable widgets composed by the panes and the main window.

Widgets never await and never open blocking ``exec()`` dialogs: they show
values and emit intents as signals (architecture §4.7).
"""
