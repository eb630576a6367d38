from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select, text

from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.models import Room
from chatroom.ratelimits import socket_limits
from chatroom.services import accounts, messages, votes
from chatroom.services.accounts import SessionUser
from chatroom.services.rooms import get_room
from chatroom.services.writer import GroupWriter
from chatroom.wire import RoomRef
from tests.conftest import PASSWORD

# The write path the socket handlers use, run in the test's own thread.
WRITER = GroupWriter(socket_limits, synchronous=True)


def make_user(name: str) -> SessionUser:
    with db.session() as s:
        user = accounts.sign_up(s, f"{name}@example.com", name, PASSWORD)
        return accounts.start_session(s, user)


@pytest.fixture
def author(app: Flask) -> SessionUser:
    return make_user("author")


def send(user: SessionUser, body: str, client_id: str | None = None, room: str = "general") -> messages.Sent:
    return messages.send_message(WRITER, user, room, body, client_id)


def test_send_trims_and_numbers_the_timeline(author: SessionUser) -> None:
    first = send(author, "  hello\n")
    second = send(author, "again")
    assert first.created
    assert first.message["body"] == "hello"
    assert first.message["author"] == {"id": author.id, "username": "author"}
    assert first.message["created_at"].endswith("Z")
    assert second.message["seq"] == first.message["seq"] + 1


@pytest.mark.parametrize(
    ("body", "code"), [("   ", "invalid"), ("x" * 4001, "too_long"), ("\n" + "y" * 4001, "too_long")]
)
def test_send_rejects_bad_bodies(author: SessionUser, body: str, code: str) -> None:
    with pytest.raises(ChatError) as caught:
        send(author, body)
    assert caught.value.code == code


def test_body_of_exactly_4000_characters_is_accepted(author: SessionUser) -> None:
    assert len(send(author, " " + "z" * 4000 + " ").message["body"]) == 4000


def test_unknown_room_is_not_found_and_takes_no_seq(author: SessionUser) -> None:
    with pytest.raises(ChatError) as caught:
        send(author, "hi", room="nowhere")
    assert caught.value.code == "not_found"
    assert send(author, "hi").message["seq"] == 1


def test_repeated_client_id_returns_the_stored_message(author: SessionUser) -> None:
    first = send(author, "once", "c-1")
    again = send(author, "once (retry)", "c-1")
    assert not again.created
    assert again.message == first.message
    with db.session() as s:
        assert len(messages.load_history(s, author.id, "general").messages) == 1


def test_client_ids_are_per_author(app: Flask) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    assert send(alice, "a", "same").created
    assert send(bob, "b", "same").created


def test_repeated_client_id_does_not_count_toward_rate_limit(make_app: Callable[..., Flask], sqlite_url: str) -> None:
    make_app(sqlite_url, rate_limits=True)
    user = make_user("limited")
    for i in range(20):
        send(user, f"m{i}", f"id-{i}")
    for i in range(20):
        assert not send(user, "retry", f"id-{i}").created
    with pytest.raises(ChatError) as caught:
        send(user, "one too many", "id-new")
    assert caught.value.code == "rate_limited"


def test_history_pages_reach_every_message_once(author: SessionUser) -> None:
    ids = [send(author, f"m{i}").message["id"] for i in range(237)]
    seen: list[int] = []
    before = None
    with db.session() as s:
        while True:
            page = messages.load_history(s, author.id, "general", before, 50)
            seen = [m["id"] for m in page.messages] + seen
            assert [m["id"] for m in page.messages] == sorted(m["id"] for m in page.messages)
            if not page.has_more:
                break
            before = page.messages[0]["id"]
    assert seen == ids


def test_history_limit_is_capped_and_defaults_to_fifty(author: SessionUser) -> None:
    for i in range(120):
        send(author, f"m{i}")
    with db.session() as s:
        assert len(messages.load_history(s, author.id, "general").messages) == 50
        assert len(messages.load_history(s, author.id, "general", limit=500).messages) == 100
        huge = messages.load_history(s, author.id, "general", before=2**70, limit=5)
    assert [m["body"] for m in huge.messages] == [f"m{i}" for i in range(115, 120)]


def test_history_shows_the_readers_own_vote(app: Flask) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    message_id = send(alice, "vote on me").message["id"]
    votes.cast_vote(WRITER, bob, message_id, -1)
    with db.session() as s:
        assert messages.load_history(s, bob.id, "general").messages[0]["my_vote"] == -1
        assert messages.load_history(s, alice.id, "general").messages[0]["my_vote"] == 0


def test_join_without_after_seq_gives_latest_page_and_watermark(author: SessionUser) -> None:
    for i in range(60):
        send(author, f"m{i}")
    with db.session() as s:
        joined = messages.join_room(s, author.id, RoomRef.of(get_room(s, "general")), None)
    assert len(joined.messages) == 50
    assert joined.has_more
    assert joined.messages[-1]["body"] == "m59"
    assert joined.seq == 60
    assert joined.reset is False


def test_join_after_seq_returns_each_changed_message_once_in_seq_order(app: Flask) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    old = send(alice, "old").message
    with db.session() as s:
        watermark = messages.join_room(s, bob.id, RoomRef.of(get_room(s, "general")), None).seq
    new = send(alice, "new").message
    votes.cast_vote(WRITER, bob, old["id"], 1)
    votes.cast_vote(WRITER, bob, old["id"], -1)
    with db.session() as s:
        caught_up = messages.join_room(s, bob.id, RoomRef.of(get_room(s, "general")), watermark)
    assert [(m["id"], m["seq"]) for m in caught_up.messages] == [(new["id"], 2), (old["id"], 4)]
    assert caught_up.messages[1]["downvotes"] == 1
    assert caught_up.messages[1]["my_vote"] == -1
    assert caught_up.seq == 4
    assert not caught_up.reset


def test_join_resets_after_too_many_changes_or_a_foreign_seq(author: SessionUser) -> None:
    for i in range(messages.MAX_CATCH_UP + 2):
        send(author, f"m{i}")
    with db.session() as s:
        too_far = messages.join_room(s, author.id, RoomRef.of(get_room(s, "general")), 1)
        in_reach = messages.join_room(s, author.id, RoomRef.of(get_room(s, "general")), 2)
        future = messages.join_room(s, author.id, RoomRef.of(get_room(s, "general")), 10**9)
        beyond = messages.join_room(s, author.id, RoomRef.of(get_room(s, "general")), 2**70)
    assert too_far.reset
    assert len(too_far.messages) == 50
    assert not in_reach.reset
    assert len(in_reach.messages) == messages.MAX_CATCH_UP
    assert future.reset
    assert beyond.reset and len(beyond.messages) == 50  # no integer the database refuses


@pytest.mark.postgres
def test_page_of_a_big_quiet_room_reads_only_its_own_rows(make_app: Callable[..., Flask], pg_url: str) -> None:
    """A room holding most messages, all older than the other rooms' traffic.

    Walking the primary key backwards would read every newer message of the other rooms
    before the first one of this room; the page must come from the (room_id, id) index.
    """
    make_app(pg_url)
    author = make_user("author")
    fill = text(
        "INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq) "
        "SELECT :room, :author, 'm' || g, now(), 0, 0, g FROM generate_series(1, :n) AS g"
    )
    with db.session() as s:
        big = Room(slug="big", name="Big", seq=30_000)
        s.add(big)
        s.flush()
        general = s.scalars(select(Room.id).where(Room.slug == "general")).one()
        s.execute(fill, {"room": big.id, "author": author.id, "n": 30_000})
        s.execute(fill, {"room": general, "author": author.id, "n": 3_000})
        s.commit()
        s.execute(text("ANALYZE messages"))
        plans = []
        # The history page alone, and the join's page beside the room's watermark.
        for query in (
            messages.page_query(author.id, big.id, None, messages.PAGE_SIZE + 1),
            messages.latest_with_watermark(author.id, big.id),
        ):
            sql = str(query.compile(dialect=s.get_bind().dialect, compile_kwargs={"literal_binds": True}))
            plans.append("\n".join(s.scalars(text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {sql}"))))
        joined = messages.join_room(s, author.id, RoomRef.of(get_room(s, "big")), None)
    for plan in plans:
        assert "ix_messages_room_id_id" in plan, plan
        assert "Rows Removed by Filter" not in plan, plan
    assert [m["body"] for m in joined.messages] == [f"m{i}" for i in range(29_951, 30_001)]
