"""Panes: the listener and sender panes and the window's other sections.

Panes compose the shared widgets (badges, logs, forms) and talk to bridges only
through signals and plain method calls; they never await.
"""
