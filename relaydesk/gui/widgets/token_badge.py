"""The live token badge: identity, expiry, countdown, renewals, claims.

The countdown runs on a 1 s QTimer against an injected clock (tests pass a
fake one and call :meth:`TokenBadge.tick`). The level is a dynamic property
``level`` (``none``/``ok``/``warn``/``expired``) for the stylesheet
(``#tokenBadge[level="warn"]``) and is always spelled out in the text too.
The raw token never reaches this widget: "Copy token" only emits
:attr:`TokenBadge.copy_token_requested` and the pane asks the core for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relaydesk.gui.models.formatting import format_clock
from relaydesk.gui.models.token_status import (
    EXPIRED_WHILE_OPEN,
    TokenStatus,
    claim_rows,
    expiry_text,
    identity_text,
    sign_in_text,
    token_status,
)
from relaydesk.gui.widgets.elided_label import ElidedLabel
from relaydesk.gui.widgets.repolish import set_style_property, status_colours
from relaydesk.relay.events import TokenInfo

_LOCAL_STYLE = """
#tokenCountdown[level="ok"] {{ color: {ok}; }}
#tokenCountdown[level="warn"] {{ color: {warn}; font-weight: bold; }}
#tokenCountdown[level="expired"] {{ color: {error}; font-weight: bold; }}
"""
_LEVEL_TIPS = {"expired-open": EXPIRED_WHILE_OPEN}


class TokenBadge(QWidget):
    """Show one side's token.

    Signals:
        copy_token_requested(): the user asked to copy the raw token.
        level_changed(str): the level went to ``none``/``ok``/``warn``/``expired``.
    """

    copy_token_requested = Signal()
    level_changed = Signal(str)

    def __init__(
        self, clock: Callable[[], float] = time.time, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("tokenBadge")
        self._clock = clock
        self._info: TokenInfo | None = None
        self._issued_at: float | None = None
        self._renewals = 0
        self._last_renewal: float | None = None
        self._tokens = 0  # tokens shown since the badge was cleared
        self._last_new: float | None = None  # when the newest of them came
        self._connection_open = False
        self._status = token_status(None, 0.0)
        self._make_controls()
        for widget in (self, self.countdown_label, self.progress):
            widget.setProperty("level", "none")
        self._layout()
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self.claims_button.toggled.connect(self.claims_view.setVisible)
        self.copy_button.clicked.connect(self.copy_token_requested)
        self.setStyleSheet(_LOCAL_STYLE.format(**status_colours(self)))
        self.set_token(None)

    # --- public ------------------------------------------------------------------

    @property
    def token(self) -> TokenInfo | None:
        """The token shown, or ``None``."""
        return self._info

    @property
    def level(self) -> str:
        """``none``, ``ok``, ``warn`` or ``expired``."""
        return self._status.level

    @property
    def status_text(self) -> str:
        """The countdown sentence currently shown."""
        return self._status.text

    @property
    def renewals(self) -> int:
        """How many renewals were reported."""
        return self._renewals

    @property
    def tokens(self) -> int:
        """How many different tokens were shown since the badge was cleared."""
        return self._tokens

    @property
    def ticking(self) -> bool:
        """True while the countdown updates itself every second (a live token).

        Without a token, or once it expired, the badge does not wake the app.
        """
        return self._timer.isActive()

    def set_token(self, info: TokenInfo | None) -> None:
        """Show a newly acquired token; ``None`` clears the badge and its counts.

        A token that replaces another (a reconnect after the relay closed the
        channel for an expired token, a new connect) is counted and its time
        shown, so the badge never says "Not renewed yet" over a new token.
        """
        if info is None:
            self._renewals, self._last_renewal = 0, None
            self._tokens, self._last_new = 0, None
        elif info != self._info:
            self._tokens += 1
            self._last_new = self._clock() if self._tokens > 1 else None
        self._show(info)

    def set_connection_open(self, connection_open: bool) -> None:
        """Say whether this token's connection is open (an expired token then is no alarm)."""
        if connection_open != self._connection_open:
            self._connection_open = connection_open
            self.tick()
            if self._status.level in ("ok", "warn") and self._status.remaining is not None:
                self._timer.start()

    def set_renewed(self, info: TokenInfo, renewals: int, at: float) -> None:
        """Show a renewed token: ``renewals`` so far, the last one ``at`` (epoch seconds)."""
        self._renewals = renewals
        self._last_renewal = at
        self._show(info)

    def tick(self) -> None:
        """Re-render the countdown from the clock (the QTimer calls this every second)."""
        status = token_status(
            self._info, self._clock(), self._issued_at, connection_open=self._connection_open
        )
        previous, self._status = self._status, status
        self.countdown_label.setText(status.text)
        self.countdown_label.setToolTip(_LEVEL_TIPS.get(status.level, ""))
        self.progress.setValue(round(status.fraction * 1000))
        self.progress.setAccessibleDescription(f"{round(status.fraction * 100)} % of lifetime left")
        session = sign_in_text(self._info)
        described = f"{identity_text(self._info)}, {status.text}"
        self.setAccessibleDescription(f"{described}. {session}" if session else described)
        if status.level != previous.level:
            for widget in (self, self.countdown_label, self.progress):
                set_style_property(widget, "level", status.level)
            self.level_changed.emit(status.level)
        if status.level in ("none", "expired", "expired-open") or status.remaining is None:
            self._timer.stop()

    # --- construction ------------------------------------------------------------

    def _make_controls(self) -> None:
        self.identity_label = ElidedLabel()  # a GUID must not set the window's width
        self.identity_label.setObjectName("tokenIdentity")
        self.identity_label.setAccessibleName("Token identity")
        self.expiry_label = QLabel()
        self.expiry_label.setObjectName("tokenExpiry")
        self.expiry_label.setAccessibleName("Token expiry time")
        self.countdown_label = QLabel()
        self.countdown_label.setObjectName("tokenCountdown")
        self.countdown_label.setAccessibleName("Token countdown")
        self.progress = QProgressBar()
        self.progress.setObjectName("tokenLifetime")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(72)
        self.progress.setMaximumHeight(10)
        self.progress.setAccessibleName("Remaining token lifetime")
        self.renewals_label = QLabel()
        self.renewals_label.setObjectName("tokenRenewals")
        self.renewals_label.setAccessibleName("Token renewals")
        self.claims_button = QPushButton("Claims…")
        self.claims_button.setCheckable(True)
        self.claims_button.setAccessibleName("Show token claims")
        self.claims_button.setToolTip("Show the decoded claims (never the token itself)")
        self.copy_button = QPushButton("Copy token")
        self.copy_button.setAccessibleName("Copy token")
        self.copy_button.setToolTip("Copy the raw token to the clipboard (handle with care)")
        self.claims_view = QFrame()
        self.claims_view.setObjectName("tokenClaims")
        self.claims_view.setFrameShape(QFrame.Shape.StyledPanel)
        self.claims_view.setAccessibleName("Token claims")
        self.claims_form = QFormLayout(self.claims_view)
        self.claims_form.setContentsMargins(6, 4, 6, 4)
        self.claims_view.setVisible(False)

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.identity_label, 1)
        top.addWidget(self.claims_button)
        top.addWidget(self.copy_button)
        second = QHBoxLayout()
        second.setContentsMargins(0, 0, 0, 0)
        second.addWidget(self.expiry_label)
        second.addWidget(self.countdown_label)
        second.addWidget(self.progress)
        second.addStretch(1)
        second.addWidget(self.renewals_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(second)
        layout.addWidget(self.claims_view)
        layout.addStretch(1)
        self.setTabOrder(self.claims_button, self.copy_button)

    # --- rendering ---------------------------------------------------------------

    def _show(self, info: TokenInfo | None) -> None:
        if info is None or info is not self._info:
            self._issued_at = self._clock() if info is not None else None
        self._info = info
        self.identity_label.setText(identity_text(info))
        session = sign_in_text(info)
        # The full text (it may be elided), then how long the sign-in lasts; "" = the text.
        self.identity_label.setToolTip(f"{identity_text(info)}\n{session}" if session else "")
        expiry = expiry_text(info)
        self.expiry_label.setText(f"{expiry} ·" if expiry else "")
        self.expiry_label.setToolTip(session)
        self.progress.setVisible(info is not None and info.expires_at is not None)
        self.copy_button.setEnabled(info is not None and info.kind != "anonymous")
        self.claims_button.setEnabled(info is not None and bool(claim_rows(info)))
        if not self.claims_button.isEnabled():
            self.claims_button.setChecked(False)
        self._fill_claims(info)
        self.renewals_label.setText(self._renewals_text())
        self.renewals_label.setVisible(info is not None)
        self.tick()
        if (
            info is not None
            and info.expires_at is not None
            and self._status.level in ("ok", "warn")
        ):
            self._timer.start()

    def _renewals_text(self) -> str:
        cached = " (from cache)" if self._info is not None and self._info.from_cache else ""
        parts = []
        if self._last_new is not None:
            parts.append(f"New token {format_clock(self._last_new)} (#{self._tokens}){cached}")
        if self._last_renewal is not None:
            parts.append(f"Renewed {self._renewals}× · last {format_clock(self._last_renewal)}")
        return " · ".join(parts) or f"Not renewed yet{cached}"

    def _fill_claims(self, info: TokenInfo | None) -> None:
        while self.claims_form.rowCount():
            self.claims_form.removeRow(0)
        for name, value in claim_rows(info) if info is not None else []:
            label = QLabel(value)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            label.setAccessibleName(f"Claim {name}")
            self.claims_form.addRow(f"{name}:", label)

    def current_status(self) -> TokenStatus:
        """Return the last rendered status (level, text, remaining, fraction)."""
        return self._status
