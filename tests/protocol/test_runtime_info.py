"""Runtime information documents: parse, build, round trips, hostile input (§11)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.errors import RemoteProtocolViolation
from relaydesk.protocol.runtime_info import (
    ATOM_NS,
    ENTRY_CONTENT_TYPE,
    FEED_CONTENT_TYPE,
    RuntimeInfo,
    build_entry,
    build_not_found_feed,
    format_datetime,
    is_feed_content_type,
    parse_runtime_info,
)
from tests.hostile_text import hostile_text

#: An entry as the service sends it (shape from the .NET SDK's comments and
#: data contract; member order CreatedAt, UpdatedAt, RequiresClientAuthorization,
#: UserMetadata, ListenerCount).
SERVICE_ENTRY = (
    b'<entry xmlns="http://www.w3.org/2005/Atom">'
    b"<id>https://contoso.servicebus.windows.net/hyco?api-version=2016-07</id>"
    b'<title type="text">hyco</title><published>2024-05-01T10:00:00Z</published>'
    b"<updated>2024-05-02T11:00:00Z</updated><author><name>contoso</name></author>"
    b'<link rel="self" href="https://contoso.servicebus.windows.net/hyco?api-version=2016-07"/>'
    b'<content type="application/xml"><HybridConnectionDescription '
    b'xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" '
    b'xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
    b"<CreatedAt>2024-05-01T10:00:00.1234567Z</CreatedAt>"
    b"<UpdatedAt>2024-05-02T11:00:00Z</UpdatedAt>"
    b"<RequiresClientAuthorization>false</RequiresClientAuthorization>"
    b"<UserMetadata>team &amp; app</UserMetadata><ListenerCount>2</ListenerCount>"
    b"</HybridConnectionDescription></content></entry>"
)


def test_parses_the_service_entry() -> None:
    info = parse_runtime_info(SERVICE_ENTRY, ENTRY_CONTENT_TYPE)
    assert info == RuntimeInfo(
        listener_count=2,
        requires_client_authorization=False,
        created_at=dt.datetime(2024, 5, 1, 10, 0, 0, 123456, dt.UTC),
        updated_at=dt.datetime(2024, 5, 2, 11, 0, 0, tzinfo=dt.UTC),
        user_metadata="team & app",
    )


def test_missing_members_take_the_dotnet_defaults() -> None:
    body = (
        SERVICE_ENTRY.split(b"<CreatedAt>")[0] + b"</HybridConnectionDescription></content></entry>"
    )
    assert parse_runtime_info(body) == RuntimeInfo(
        listener_count=0, requires_client_authorization=True
    )


def test_a_feed_means_not_found_by_content_type_or_root() -> None:
    feed = build_not_found_feed(url="https://ns/x", now=dt.datetime.now(dt.UTC))
    assert parse_runtime_info(feed, FEED_CONTENT_TYPE) is None
    assert parse_runtime_info(feed, "application/xml") is None
    assert parse_runtime_info(b"", 'application/atom+xml; type="feed"') is None


@pytest.mark.parametrize(
    ("content_type", "feed"),
    [
        ("application/atom+xml;type=feed;charset=utf-8", True),
        ("Application/Atom+XML; Type=Feed", True),
        ("application/atom+xml;type=entry;charset=utf-8", False),
        ("application/atom+xml", False),
        ("text/xml;type=feed", False),
        ("", False),
    ],
)
def test_feed_content_type(content_type: str, feed: bool) -> None:
    assert is_feed_content_type(content_type) is feed


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not xml", "well-formed"),
        (b"<html><body>proxy page</body></html>", "Atom entry or feed"),
        (b'<entry xmlns="http://www.w3.org/2005/Atom"><content/></entry>', "no HybridConnection"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
            b'<entry xmlns="http://www.w3.org/2005/Atom">&lol;</entry>',
            "DTD",
        ),
        (SERVICE_ENTRY.replace(b">2</ListenerCount>", b">-1</ListenerCount>"), "ListenerCount"),
        (SERVICE_ENTRY.replace(b">false<", b">maybe<"), "RequiresClientAuthorization"),
        (SERVICE_ENTRY.replace(b"2024-05-01T10", b"2024-13-01T10"), "CreatedAt"),
        (SERVICE_ENTRY.replace(b"2024-05-02T11", b"yesterday"), "UpdatedAt"),
        (b"<a>" + b"x" * 70_000 + b"</a>", "larger than"),
    ],
)
def test_malformed_answers_are_protocol_violations(body: bytes, why: str) -> None:
    with pytest.raises(RemoteProtocolViolation, match=why):
        parse_runtime_info(body, ENTRY_CONTENT_TYPE)


_times = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=200)


@settings(max_examples=150, deadline=None)
@given(
    count=st.integers(0, 25),
    auth=st.booleans(),
    created=st.none() | _times,
    updated=st.none() | _times,
    metadata=st.none() | _text,
    entity=st.from_regex(r"[a-z0-9]([a-z0-9./_-]{0,30}[a-z0-9])?", fullmatch=True),
)
def test_build_then_parse_round_trips(
    count: int,
    auth: bool,
    created: dt.datetime | None,
    updated: dt.datetime | None,
    metadata: str | None,
    entity: str,
) -> None:
    info = RuntimeInfo(count, auth, created, updated, metadata)
    body = build_entry(info, entity=entity, url=f"https://ns/{entity}?a=1&b=2", namespace_name="ns")
    parsed = parse_runtime_info(body, ENTRY_CONTENT_TYPE)
    # XML normalises CR/CRLF line ends in text to LF.
    expected_metadata = (
        None if metadata is None else metadata.replace("\r\n", "\n").replace("\r", "\n")
    )
    assert parsed == RuntimeInfo(count, auth, created, updated, expected_metadata)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
def test_arbitrary_bytes_parse_or_raise_a_protocol_violation(body: bytes) -> None:
    try:
        result = parse_runtime_info(body)
    except RemoteProtocolViolation:
        return
    assert result is None or isinstance(result, RuntimeInfo)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<CreatedAt>2024-01-01T00:00:00Z</CreatedAt>",
                "<ListenerCount>3</ListenerCount>",
                "<ListenerCount>x</ListenerCount>",
                "<RequiresClientAuthorization>true</RequiresClientAuthorization>",
                "<UserMetadata><![CDATA[<b>]]></UserMetadata>",
                "<Unknown>1</Unknown>",
                "<UpdatedAt>2024-01-01T00:00:00+02:00</UpdatedAt>",
            ]
        ),
        max_size=8,
    )
)
def test_members_in_any_order_parse_or_raise(members: list[str]) -> None:
    body = (
        '<entry xmlns="http://www.w3.org/2005/Atom"><content type="application/xml">'
        '<HybridConnectionDescription xmlns="http://schemas.microsoft.com/netservices/2010/10/'
        'servicebus/connect">'
        + "".join(members)
        + "</HybridConnectionDescription></content></entry>"
    ).encode()
    try:
        info = parse_runtime_info(body)
    except RemoteProtocolViolation:
        assert "<ListenerCount>x</ListenerCount>" in members
        return
    assert info is not None
    assert info.listener_count in (0, 3)


def test_format_datetime_is_dotnet_style() -> None:
    value = dt.datetime(2024, 1, 2, 3, 4, 5, 678901, dt.UTC)
    assert format_datetime(value) == "2024-01-02T03:04:05.6789010Z"


@settings(max_examples=60, deadline=None)
@given(content_type=hostile_text(), body=st.binary(max_size=200))
def test_a_hostile_content_type_gives_a_result_or_a_violation(
    content_type: str, body: bytes
) -> None:
    assert is_feed_content_type(content_type) in (True, False)
    try:
        result = parse_runtime_info(body, content_type)
    except RemoteProtocolViolation:
        return
    assert result is None or isinstance(result, RuntimeInfo)


def test_a_dtd_hidden_in_utf16_is_still_refused() -> None:
    """The DTD check looks at bytes; expat's amplification limit catches the rest."""
    entities = "".join(
        f'<!ENTITY e{i} "' + (f"&e{i - 1};" if i else "x") * 10 + '">' for i in range(10)
    )
    document = f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [{entities}]>'
    document += f'<entry xmlns="{ATOM_NS}"><title>&e9;</title></entry>'
    with pytest.raises(RemoteProtocolViolation):
        parse_runtime_info(document.encode("utf-16"))
