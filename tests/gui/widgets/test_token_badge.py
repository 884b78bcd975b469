"""TokenBadge: countdown with a fake clock, levels in words and property, renewals, claims."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from relaydesk.gui.models.formatting import format_clock
from relaydesk.gui.widgets.token_badge import TokenBadge
from relaydesk.relay.events import TokenInfo

pytestmark = pytest.mark.gui

START = 1_800_000_000.0


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def _token(lifetime: float = 600.0) -> TokenInfo:
    return TokenInfo(
        kind="entra",
        identity="listener",
        expires_at=START + lifetime,
        claims={
            "aud": "https://relay.azure.net",
            "roles": ["Listen"],
            "iat": START,
            "exp": START + lifetime,
            "tid": "t-1",
        },
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def badge(qtbot: QtBot, clock: FakeClock) -> TokenBadge:
    widget = TokenBadge(clock=clock)
    qtbot.addWidget(widget)
    return widget


def test_countdown_levels_ok_warn_expired(badge: TokenBadge, clock: FakeClock) -> None:
    levels: list[str] = []
    badge.level_changed.connect(levels.append)
    badge.set_token(_token(600))
    assert (badge.level, badge.countdown_label.text()) == ("ok", "Expires in 10:00")
    assert badge.property("level") == "ok"
    assert badge.expiry_label.text() == f"Valid until {format_clock(START + 600)} ·"
    clock.now += 309
    badge.tick()
    assert (badge.level, badge.countdown_label.text()) == ("warn", "Expiring soon: 04:51")
    assert badge.property("level") == "warn"
    assert badge.countdown_label.property("level") == "warn"
    assert badge.progress.value() == round(291 / 600 * 1000)
    clock.now += 291
    badge.tick()
    assert (badge.level, badge.countdown_label.text()) == ("expired", "Expired")
    assert badge.progress.value() == 0
    assert levels == ["ok", "warn", "expired"]


def test_the_timer_ticks_while_a_token_is_live(
    badge: TokenBadge, clock: FakeClock, qtbot: QtBot
) -> None:
    badge.set_token(_token(600))
    assert badge.ticking
    clock.now += 400
    qtbot.waitUntil(lambda: badge.level == "warn", timeout=5000)
    badge.set_token(None)
    assert not badge.ticking
    assert badge.level == "none" and badge.identity_label.text() == "No token"


def test_renewals_are_counted_with_the_last_time(badge: TokenBadge, clock: FakeClock) -> None:
    badge.set_token(_token(600))
    assert badge.renewals_label.text() == "Not renewed yet"
    clock.now += 400
    badge.tick()
    assert badge.level == "warn"
    renewed = TokenInfo(kind="entra", identity="listener", expires_at=clock.now + 3600)
    badge.set_renewed(renewed, 2, clock.now)
    assert badge.renewals == 2
    assert badge.renewals_label.text() == f"Renewed 2× · last {format_clock(clock.now)}"
    assert badge.level == "ok"


def test_claims_view_toggles_and_shows_only_claims(badge: TokenBadge) -> None:
    badge.set_token(_token())
    assert badge.claims_view.isHidden()
    badge.claims_button.click()
    assert not badge.claims_view.isHidden()
    texts = [label.text() for label in badge.claims_view.findChildren(QLabel)]
    assert "https://relay.azure.net" in texts and "Listen" in texts and "t-1" in texts
    badge.claims_button.click()
    assert badge.claims_view.isHidden()


def test_copy_token_only_emits_a_request(badge: TokenBadge, qtbot: QtBot) -> None:
    badge.set_token(_token())
    with qtbot.waitSignal(badge.copy_token_requested, timeout=2000):
        qtbot.mouseClick(badge.copy_button, Qt.MouseButton.LeftButton)


def test_anonymous_has_no_countdown_and_nothing_to_copy(badge: TokenBadge) -> None:
    badge.set_token(TokenInfo(kind="anonymous", identity="", expires_at=None))
    assert badge.countdown_label.text() == "No expiry (anonymous)"
    assert not badge.copy_button.isEnabled()
    assert not badge.claims_button.isEnabled()
    assert badge.identity_label.text() == "Anonymous"


def test_identity_and_accessibility(badge: TokenBadge) -> None:
    badge.set_token(_token())
    assert badge.identity_label.text() == "Entra ID app · listener"
    assert badge.objectName() == "tokenBadge"
    assert "Expires in 10:00" in badge.accessibleDescription()
    for widget in (badge.claims_button, badge.copy_button, badge.progress):
        assert widget.accessibleName()


def test_expired_while_the_connection_is_open_says_why_it_does_not_matter(
    badge: TokenBadge, clock: FakeClock
) -> None:
    badge.set_token(_token(600))
    badge.set_connection_open(True)
    clock.now += 601
    badge.tick()
    assert badge.level == "expired-open"
    assert badge.countdown_label.text() == "Expired · connection unaffected"
    assert "checks a token when a connection opens" in badge.countdown_label.toolTip()
    assert badge.countdown_label.property("level") == "expired-open"  # not the red style
    badge.set_connection_open(False)  # the next connect needs a new token: now it matters
    assert (badge.level, badge.countdown_label.text()) == ("expired", "Expired")
    assert badge.countdown_label.toolTip() == ""


def test_a_new_token_after_a_reconnect_is_counted_and_shown(
    badge: TokenBadge, clock: FakeClock
) -> None:
    badge.set_token(_token(600))
    badge.set_token(_token(600))  # the same token again (e.g. re-emitted): not a new one
    assert badge.tokens == 1 and badge.renewals_label.text() == "Not renewed yet"
    clock.now += 600
    fresh = TokenInfo(kind="entra", identity="listener", expires_at=clock.now + 600)
    badge.set_token(fresh)  # the relay closed the channel (1008); the reconnect got this one
    assert badge.tokens == 2
    assert badge.renewals_label.text() == f"New token {format_clock(clock.now)} (#2)"
    assert badge.level == "ok"
    badge.set_token(None)
    assert badge.tokens == 0


def test_a_person_s_badge_says_the_sign_in_renews_until_entra_asks_again(
    badge: TokenBadge,
) -> None:
    person = TokenInfo(
        kind="entra",
        identity="ann@contoso.example",
        expires_at=START + 3600,
        claims={"idtyp": "user", "tid": "t-1", "upn": "ann@contoso.example"},
    )
    badge.set_token(person)
    assert badge.expiry_label.text() == f"Token valid until {format_clock(START + 3600)} ·"
    identity_tip = badge.identity_label.toolTip().splitlines()
    assert identity_tip[0] == badge.identity_label.text()  # whole, though it may be elided
    for tip in (identity_tip[1], badge.expiry_label.toolTip()):
        assert tip.startswith("Signed in as ann@contoso.example; the session renews silently")
        assert "until Entra asks again" in tip
    assert "until Entra asks again" in badge.accessibleDescription()

    badge.set_token(_token())  # an app: its token's expiry is all there is
    assert badge.expiry_label.text().startswith("Valid until")
    assert badge.expiry_label.toolTip() == ""
    assert badge.identity_label.toolTip() == badge.identity_label.text()
