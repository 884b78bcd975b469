"""AnonymousTokenProvider: the sender-only "no token"."""

from __future__ import annotations

import pytest

from relaydesk.auth.anonymous import AnonymousTokenProvider
from relaydesk.auth.provider import TokenProvider


@pytest.mark.asyncio
async def test_anonymous_token_never_expires_and_is_empty() -> None:
    provider = AnonymousTokenProvider()
    assert isinstance(provider, TokenProvider)
    token = await provider.get_token(min_valid_for=10**9, expires_after=10**12)
    assert token.is_anonymous
    assert token.value.reveal() == ""
    assert token.info().expires_at is None
    assert "sender" in provider.describe()
