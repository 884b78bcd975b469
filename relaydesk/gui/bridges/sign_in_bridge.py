"""Sign-in progress of Entra ID users, from the core to the GUI (one bridge).

The token providers of "user" identities report an interactive sign-in
through ``on_progress`` (:class:`relaydesk.auth.user_provider.SignInProgress`),
on the event loop, which under qasync is the Qt thread; this bridge turns each
report into the ``progress`` signal and remembers how to cancel the sign-in
that is under way. Widgets never await: the panel's Cancel calls :meth:`cancel`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:  # with the first profile, not with the window (it loads profiles and auth)
    from relaydesk.token_providers import SignInOptions

__all__ = ["SignInBridge"]


class SignInBridge(QObject):
    """Signals: progress(SignInProgress); notice(str): e.g. the sign-in stays in memory."""

    progress = Signal(object)
    notice = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel: Callable[[], None] | None = None

    def options(self) -> SignInOptions:
        """What the app's providers get for "user" identities."""
        from relaydesk.token_providers import SignInOptions

        return SignInOptions(on_progress=self._on_progress, warn=self.notice.emit)

    def _on_progress(self, progress: Any) -> None:
        self._cancel = progress.cancel if progress.stage in ("started", "device_code") else None
        self.progress.emit(progress)

    def cancel(self) -> None:
        """End the sign-in under way (its token request fails with SignInCancelled)."""
        cancel, self._cancel = self._cancel, None
        if cancel is not None:
            cancel()
