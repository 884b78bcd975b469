"""relaydesk.relay.events: every event class, wherever it is defined.

The classes a sender needs are defined in ``relay.common_events`` (a send
does not create the listener's), and ``relay.events`` has them all, as the
same objects: frozen, slotted, keyword-only dataclasses.
"""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from relaydesk.relay import common_events, events
from relaydesk.relay.events import ChannelClosed, ConnectionAccepted, TokenInfo

LISTENER_ONLY = {"ChannelClosed", "ConnectionAccepted", "ConnectionRejected", "TokenRenewed"}


def test_events_has_every_class_and_common_events_the_same_objects() -> None:
    assert set(common_events.__all__) == set(events.__all__) - LISTENER_ONLY
    for name in common_events.__all__:
        assert getattr(events, name) is getattr(common_events, name)
    for name in events.__all__:
        assert hasattr(events, name)


@pytest.mark.parametrize(
    "name", sorted(set(events.__all__) - {"Side", "TokenInfo", "ConnectionState"})
)
def test_each_event_is_a_frozen_dataclass(name: str) -> None:
    cls = getattr(events, name)
    params = cls.__dataclass_params__
    assert params.frozen and params.eq
    if issubclass(cls, events.Event):
        assert "__slots__" in cls.__dict__
        assert all(f.kw_only for f in dataclasses.fields(cls))


def test_a_listener_event_behaves_as_before() -> None:
    token = TokenInfo(kind="sas", identity="rule r", expires_at=1.0)
    closed = ChannelClosed(at=1.0, side="listener", channel_id="c", code=1006)
    assert closed == ChannelClosed(at=1.0, side="listener", channel_id="c", code=1006)
    assert hash(closed) == hash(dataclasses.replace(closed))
    assert pickle.loads(pickle.dumps(closed)) == closed
    assert repr(closed) == (
        "ChannelClosed(at=1.0, side='listener', channel_id='c', code=1006, reason='', by_peer=True)"
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        closed.code = 1000  # type: ignore[misc]
    accepted = ConnectionAccepted(at=2.0, side="listener", connection_id="x")
    assert dict(accepted.headers) == {}
    assert events.TokenAcquired(at=0.0, side="sender", token=token).token is token
