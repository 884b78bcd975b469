"""The listener's behaviour settings: accept policy, auto-echo, HTTP response, forwarding.

Every edit makes a new frozen :class:`ListenerPolicy` and announces it
(``policy_changed``); the pane hands it to the bridge, whose running listener
reads the current one for each new sender (§5.3) and request (§7.3), so no
restart is needed. "Forward to" takes a local base URL
(:mod:`relaydesk.relay.forwarding`) and, for an https local app, the TLS
trust the CLI's ``--forward-ca``/``--forward-insecure`` give: a CA file, or
any certificate (a development server's self-signed one). They are checked
as typed, applied and announced (``forward_changed``, saved in the profile)
only when valid. The file dialog is non-modal: widgets never block the loop.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from relaydesk.errors import InvalidField
from relaydesk.gui.bridges.policies import (
    AcceptChoice,
    HttpResponseSettings,
    ListenerPolicy,
    forward_fields,
)
from relaydesk.gui.widgets.file_dialog import show_file_dialog
from relaydesk.relay.forward_target import ForwardTarget
from relaydesk.relay.tls import check_ca_file

if TYPE_CHECKING:
    from relaydesk.profiles.model import Profile

__all__ = ["ListenerSettings", "parse_header_lines"]


def parse_header_lines(text: str) -> dict[str, str]:
    """Parse ``Name: value`` lines; lines without a colon are ignored."""
    headers: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip()] = value.strip()
    return headers


def forward_problem(text: str) -> str | None:
    """Why ``text`` is not a usable "Forward to" URL, or ``None`` (empty is fine)."""
    if not text.strip():
        return None
    try:
        ForwardTarget.parse(text, field="Forward to")
    except InvalidField as exc:
        return exc.reason
    return None


def ca_file_problem(text: str) -> str | None:
    """Why ``text`` names no readable CA file, or ``None`` (empty = the system's CAs)."""
    if not text.strip():
        return None
    try:
        check_ca_file(Path(text.strip()).expanduser(), field="Trust CA")
    except InvalidField as exc:
        return exc.reason
    return None


def _is_https(url: str) -> bool:
    try:
        return ForwardTarget.parse(url, field="Forward to").secure
    except InvalidField:
        return False


class ListenerSettings(QWidget):
    """Form for a :class:`ListenerPolicy`: shows one, announces each edited one.

    Signals:
        policy_changed(object): the :class:`ListenerPolicy` the form now shows.
        forward_changed(object): the :class:`ListenerPolicy` after a valid change
            of where and how to forward (URL, CA file, any certificate).
    """

    policy_changed = Signal(object)
    forward_changed = Signal(object)

    def __init__(self, policy: ListenerPolicy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._policy = policy
        self._build_ui()
        self._load()
        self._connect()

    def _build_ui(self) -> None:
        self.accept_combo = _combo(
            ("Accept every sender", "Reject senders"),
            "Accept policy",
            "Accept each WebSocket sender, or reject it with a status",
        )
        self.reject_status = _spin(
            100, 999, "Rejection status", "HTTP status sent to rejected senders"
        )
        self.reject_reason = QLineEdit()
        self.reject_reason.setAccessibleName("Rejection reason")
        self.reject_reason.setToolTip("Status description sent to rejected senders")
        self.echo_check = QCheckBox("Echo every message back")
        self.echo_check.setAccessibleName("Auto-echo")
        self.echo_check.setToolTip("Send each received WebSocket message back on its connection")
        self.http_echo = QCheckBox("Echo the request body")
        self.http_echo.setToolTip("Answer HTTP requests with 200 and the request body")
        self.http_status = _spin(100, 999, "HTTP response status", "Status of the HTTP response")
        self.http_headers = QPlainTextEdit()
        self.http_headers.setAccessibleName("HTTP response headers")
        self.http_headers.setToolTip("One 'Name: value' per line")
        self.http_headers.setMaximumHeight(48)
        self.http_body = QLineEdit()
        self.http_body.setAccessibleName("HTTP response body")
        self.http_body.setToolTip("Body of the HTTP response (UTF-8)")
        self.forward_edit = QLineEdit()
        self.forward_edit.setAccessibleName("Forward to")
        self.forward_edit.setPlaceholderText("http://127.0.0.1:8080 — empty: answer here")
        self.forward_edit.setToolTip(
            "Forward every HTTP request and WebSocket to this local web app, "
            "instead of answering here"
        )
        self.forward_ca_edit = QLineEdit()
        self.forward_ca_edit.setAccessibleName("Local app's CA file")
        self.forward_ca_edit.setPlaceholderText("CA file (PEM) — empty: the system's CAs")
        self.forward_ca_edit.setToolTip(
            "For an https local app whose certificate a private CA issued: "
            "trust that CA's certificate file, besides the system's CAs"
        )
        self.forward_ca_button = QPushButton("Browse…")
        self.forward_ca_button.setAccessibleName("Choose the local app's CA file")
        self.forward_insecure_check = QCheckBox("Accept any certificate (development only)")
        self.forward_insecure_check.setAccessibleName("Accept any local app certificate")
        self.forward_insecure_check.setToolTip(
            "Do not verify the https local app's certificate (a development server's "
            "self-signed one). The relay's certificate is always verified."
        )
        self.forward_error = QLabel()
        self.forward_error.setObjectName("fieldError")
        self.forward_error.setWordWrap(True)
        self.forward_error.setVisible(False)
        reject_row = QHBoxLayout()
        reject_row.addWidget(self.reject_status)
        reject_row.addWidget(self.reject_reason, 1)
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        form.addRow("Senders:", self.accept_combo)
        form.addRow("Reject with:", reject_row)
        form.addRow("", self.echo_check)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.forward_ca_edit, 1)
        ca_row.addWidget(self.forward_ca_button)
        form.addRow("Forward to:", self.forward_edit)
        form.addRow("Trust CA:", ca_row)
        form.addRow("", self.forward_insecure_check)
        form.addRow("", self.forward_error)
        form.addRow("HTTP:", self.http_echo)
        form.addRow("Status:", self.http_status)
        form.addRow("Headers:", self.http_headers)
        form.addRow("Body:", self.http_body)

    @property
    def policy(self) -> ListenerPolicy:
        """The policy the form shows (the last one announced)."""
        return self._policy

    def _load(self) -> None:
        policy = self._policy
        self.accept_combo.setCurrentIndex(0 if policy.accept.accept else 1)
        self.reject_status.setValue(policy.accept.status)
        self.reject_reason.setText(policy.accept.reason)
        self.echo_check.setChecked(policy.auto_echo)
        self.http_echo.setChecked(policy.http.echo)
        self.http_status.setValue(policy.http.status)
        self.http_headers.setPlainText(
            "\n".join(f"{k}: {v}" for k, v in policy.http.headers.items())
        )
        self.http_body.setText(policy.http.body.decode("utf-8", "replace"))
        self._show_forward_fields(policy)
        self._update_enabled()

    def _connect(self) -> None:
        self.accept_combo.currentIndexChanged.connect(self._store)
        self.reject_status.valueChanged.connect(self._store)
        self.reject_reason.textChanged.connect(self._store)
        self.echo_check.toggled.connect(self._store)
        self.http_echo.toggled.connect(self._store)
        self.http_status.valueChanged.connect(self._store)
        self.http_headers.textChanged.connect(self._store)
        self.http_body.textChanged.connect(self._store)
        self.forward_edit.textChanged.connect(self._check_forward)
        self.forward_edit.editingFinished.connect(self._apply_forward)
        self.forward_ca_edit.textChanged.connect(self._check_forward)
        self.forward_ca_edit.editingFinished.connect(self._apply_forward)
        self.forward_ca_button.clicked.connect(self.choose_ca_file)
        self.forward_insecure_check.toggled.connect(self._apply_forward)

    def _store(self) -> None:
        accept = AcceptChoice(
            accept=self.accept_combo.currentIndex() == 0,
            status=self.reject_status.value(),
            reason=self.reject_reason.text() or "Rejected by RelayDesk",
        )
        http = HttpResponseSettings(
            status=self.http_status.value(),
            headers=parse_header_lines(self.http_headers.toPlainText()),
            body=self.http_body.text().encode("utf-8"),
            echo=self.http_echo.isChecked(),
        )
        self._announce(
            ListenerPolicy(
                accept=accept,
                auto_echo=self.echo_check.isChecked(),
                http=http,
                **forward_fields(self._policy),
            )
        )

    def _announce(self, policy: ListenerPolicy) -> None:
        self._policy = policy
        self._update_enabled()
        self.policy_changed.emit(policy)

    def show_forward(self, profile: Profile) -> None:
        """Show and use the profile's forwarding (another profile became active)."""
        policy = replace(self._policy, **forward_fields(profile))
        self._policy = policy  # first: the widgets' signals below then change nothing
        self._show_forward_fields(policy)
        self._announce(policy)

    def choose_ca_file(self) -> None:
        """Open a non-modal file dialog; the choice is applied when it arrives."""
        show_file_dialog(
            self,
            "The CA certificate of the local app",
            self._ca_file_chosen,
            name_filters=("Certificates (*.pem *.crt *.cer)", "All files (*)"),
        )

    def _ca_file_chosen(self, path: str) -> None:
        self.forward_ca_edit.setText(path)
        self._apply_forward()

    def _show_forward_fields(self, policy: ListenerPolicy) -> None:
        self.forward_edit.setText(policy.forward_to)
        self.forward_ca_edit.setText(policy.forward_ca_file)
        self.forward_insecure_check.setChecked(policy.forward_insecure)
        self._check_forward()

    def _forward_problem(self) -> str | None:
        problem = forward_problem(self.forward_edit.text())
        if problem is not None:
            return f"Forward to: {problem}"
        problem = ca_file_problem(self.forward_ca_edit.text())
        if problem is None:
            return None
        return (
            f"Trust CA: {problem}. Choose the PEM certificate of the CA that issued the "
            "local app's certificate, or leave it empty."
        )

    def _check_forward(self, *_changed: object) -> None:
        problem = self._forward_problem()
        self.forward_error.setText(problem or "")
        self.forward_error.setVisible(problem is not None)
        https = _is_https(self.forward_edit.text())
        for widget in (self.forward_ca_edit, self.forward_ca_button, self.forward_insecure_check):
            widget.setEnabled(https)  # trust settings only matter for an https local app

    def _apply_forward(self, *_changed: object) -> None:
        if self._forward_problem() is not None:
            return
        ca_text = self.forward_ca_edit.text().strip()
        policy = replace(
            self._policy,
            forward_to=self.forward_edit.text().strip(),
            forward_ca_file=str(Path(ca_text).expanduser()) if ca_text else "",
            forward_insecure=self.forward_insecure_check.isChecked(),
        )
        if forward_fields(policy) == forward_fields(self._policy):
            return
        self._announce(policy)
        self.forward_changed.emit(policy)

    def _update_enabled(self) -> None:
        rejecting = self.accept_combo.currentIndex() == 1
        self.reject_status.setEnabled(rejecting)
        self.reject_reason.setEnabled(rejecting)
        forwarding = bool(self._policy.forward_to)
        fixed = not self.http_echo.isChecked() and not forwarding
        for widget in (self.http_status, self.http_headers, self.http_body):
            widget.setEnabled(fixed)
        for check in (self.http_echo, self.echo_check):  # the local app answers
            check.setEnabled(not forwarding)


def _combo(items: tuple[str, ...], name: str, tip: str) -> QComboBox:
    combo = QComboBox()
    combo.addItems(list(items))
    combo.setAccessibleName(name)
    combo.setToolTip(tip)
    return combo


def _spin(low: int, high: int, name: str, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setAccessibleName(name)
    spin.setToolTip(tip)
    return spin
