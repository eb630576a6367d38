"""The Top ranking (services/top.py): order, windows, paging and the stored rank, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.models import Message
from chatroom.ranking import wilson_lower_bound
from chatroom.services import batch_apply, messages, top
from chatroom.services.accounts import SessionUser
from chatroom.services.batch_apply import VoteOp
from chatroom.services.rooms import get_room
from chatroom.wire import RoomRef
from tests.services.test_messages import make_user, send
from tests.services.test_votes import vote

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class Clock:
    """The time the server believes it is, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Controls when messages are created (the write path's clock) and when a window ends."""
    clock = Clock()
    monkeypatch.setattr(batch_apply, "utcnow", clock)
    monkeypatch.setattr(top, "utcnow", clock)
    return clock


@pytest.fixture
def on_any_db(make_app: Callable[..., Flask], any_db_url: str) -> Flask:
    return make_app(any_db_url)


def set_totals(message_id: int, up: int, down: int) -> None:
    """Totals as many voters would leave them, with the rank the vote path writes."""
    with db.session() as s:
        s.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(upvotes=up, downvotes=down, wilson_lb=wilson_lower_bound(up, down))
        )
        s.commit()


def load(reader: SessionUser, window: str = "all", limit: int = 100, offset: int = 0) -> top.TopPage:
    with db.session() as s:
        return top.load_top(s, reader.id, "general", window, limit, offset)


def ids(page: top.TopPage) -> list[int]:
    return [m["id"] for m in page.messages]


def stored_rank(message_id: int) -> tuple[int, int, float]:
    with db.session() as s:
        row = s.execute(
            select(Message.upvotes, Message.downvotes, Message.wilson_lb).where(Message.id == message_id)
        ).one()
    return int(row[0]), int(row[1]), float(row[2])


def test_every_vote_keeps_the_stored_rank_current(on_any_db: Flask) -> None:
    alice, bob, carol, dave = (make_user(n) for n in ("alice", "bob", "carol", "dave"))
    message_id = send(alice, "rank me").message["id"]
    assert stored_rank(message_id) == (0, 0, 0.0)
    for voter, value in [(bob, 1), (carol, 1), (dave, -1), (carol, -1), (bob, 1)]:
        vote(voter, message_id, value)
        up, down, rank = stored_rank(message_id)
        assert rank == wilson_lower_bound(up, down)
    # bob removed his upvote: no upvote left, the rank is 0 exactly.
    assert stored_rank(message_id) == (0, 2, 0.0)
    # Several votes on one message in one commit: one write of the final totals and rank.
    with db.session() as s:
        batch_apply.apply_batch(
            s, [VoteOp(bob, message_id, 1), VoteOp(carol, message_id, 1), VoteOp(dave, message_id, 1)]
        )
    assert stored_rank(message_id) == (3, 0, wilson_lower_bound(3, 0))


def test_all_ranks_by_the_bound_then_by_id(on_any_db: Flask) -> None:
    author = make_user("author")
    totals = [(0, 0), (1, 0), (100, 10), (0, 7), (1, 0), (5, 5), (0, 0), (2, 0)]
    made = [send(author, f"m{i}").message["id"] for i in range(len(totals))]
    for message_id, (up, down) in zip(made, totals, strict=True):
        set_totals(message_id, up, down)
    expected = sorted(made, key=lambda i: (-wilson_lower_bound(*totals[made.index(i)]), i))
    page = load(author)
    assert ids(page) == expected
    # By name: 100 up/10 down first, one upvote below two, ties and the all-down one by id.
    assert ids(page) == [made[2], made[7], made[5], made[1], made[4], made[0], made[3], made[6]]
    assert page.has_more is False and page.window == "all"
    assert (page.messages[0]["upvotes"], page.messages[0]["downvotes"]) == (100, 10)


def test_windows_hold_what_was_created_within_them(on_any_db: Flask, clock: Clock) -> None:
    author = make_user("author")
    made: dict[str, int] = {}
    for name, age in [
        ("eight days", timedelta(days=8)),
        ("two days", timedelta(days=2)),
        ("exactly a day", timedelta(days=1)),
        ("three hours", timedelta(hours=3)),
        ("just over an hour", timedelta(hours=1, microseconds=1)),
        ("exactly an hour", timedelta(hours=1)),
        ("a minute", timedelta(minutes=1)),
    ]:
        clock.now = START - age
        made[name] = send(author, name).message["id"]
    clock.now = START
    # Older messages rank higher, as they would after gathering votes: a rank-order walk
    # meets them first.
    for rank, name in enumerate(made):
        set_totals(made[name], 20 - rank, 0)
    order = list(made)
    assert ids(load(author, "hour")) == [made["exactly an hour"], made["a minute"]]
    assert ids(load(author, "day")) == [made[n] for n in order[2:]]
    assert ids(load(author, "week")) == [made[n] for n in order[1:]]
    assert ids(load(author, "all")) == [made[n] for n in order]
    # A microsecond later the oldest of the hour has left it.
    clock.now = START + timedelta(microseconds=1)
    assert ids(load(author, "hour")) == [made["a minute"]]
    clock.now = START + timedelta(hours=2)
    assert load(author, "hour").messages == []
    assert load(author, "hour").has_more is False


def test_a_window_mixes_voted_and_silent_messages_in_rank_then_id_order(on_any_db: Flask, clock: Clock) -> None:
    author = make_user("author")
    clock.now = START - timedelta(days=3)
    old = [send(author, f"old {i}").message["id"] for i in range(4)]
    clock.now = START - timedelta(minutes=30)
    recent = [send(author, f"recent {i}").message["id"] for i in range(6)]
    clock.now = START
    for message_id in old:
        set_totals(message_id, 50, 0)
    set_totals(recent[4], 3, 1)
    set_totals(recent[1], 0, 9)
    set_totals(recent[2], 1, 0)
    expected = [recent[4], recent[2], recent[0], recent[1], recent[3], recent[5]]
    assert ids(load(author, "day")) == expected
    # Page by page, in steps of two, the same ranking exactly once.
    seen: list[int] = []
    offset = 0
    while True:
        page = load(author, "day", limit=2, offset=offset)
        seen += ids(page)
        offset += len(page.messages)
        if not page.has_more:
            break
    assert seen == expected


def test_a_window_whose_best_messages_are_older_ranks_its_own(
    on_any_db: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rank index walk gives up after its budget; the window's voted messages are then ranked."""
    monkeypatch.setattr(top, "WALK_FACTOR", 1)
    monkeypatch.setattr(top, "WALK_EXTRA", 0)
    author = make_user("author")
    clock.now = START - timedelta(days=2)
    old = [send(author, f"old {i}").message["id"] for i in range(5)]
    clock.now = START - timedelta(minutes=5)
    recent = [send(author, f"recent {i}").message["id"] for i in range(4)]
    clock.now = START
    for message_id in old:
        set_totals(message_id, 40, 1)
    set_totals(recent[0], 1, 0)
    set_totals(recent[2], 6, 0)
    expected = [recent[2], recent[0], recent[1], recent[3]]
    assert ids(load(author, "hour")) == expected
    pages = [ids(load(author, "hour", limit=1, offset=k)) for k in range(5)]
    assert pages == [[m] for m in expected] + [[]]
    assert load(author, "hour", limit=1, offset=3).has_more is False
    assert load(author, "hour", limit=1, offset=2).has_more is True


def test_the_page_carries_the_readers_own_votes_and_collapse(on_any_db: Flask) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    liked = send(alice, "liked").message["id"]
    buried = send(alice, "buried").message["id"]
    vote(bob, liked, 1)
    set_totals(buried, 0, 5)
    mine = {m["id"]: m for m in load(bob).messages}
    theirs = {m["id"]: m for m in load(alice).messages}
    assert (mine[liked]["my_vote"], theirs[liked]["my_vote"]) == (1, 0)
    assert mine[buried]["collapsed"] is True and mine[buried]["score"] == -5
    assert mine[liked]["collapsed"] is False
    set_totals(buried, 1, 5)
    assert {m["id"]: m for m in load(bob).messages}[buried]["collapsed"] is False


def test_limit_is_clamped_and_pages_stop_before_the_size_bound(on_any_db: Flask) -> None:
    author = make_user("author")
    for i in range(101):
        send(author, f"short {i}")
    page = load(author, limit=500)
    assert len(page.messages) == 100 and page.has_more is True
    assert len(load(author, limit=1).messages) == 1
    big = [send(author, f"{i:04d}" + "x" * 3996).message["id"] for i in range(70)]
    for message_id in big:
        set_totals(message_id, 1, 0)
    page = load(author, limit=100)
    assert ids(page) == big[: len(page.messages)]
    assert 0 < len(page.messages) < 70 and page.has_more is True


@pytest.mark.parametrize(
    ("window", "limit", "offset", "field"),
    [
        ("year", 50, 0, "window"),
        ("Day", 50, 0, "window"),
        ("day", 0, 0, "limit"),
        ("day", -3, 0, "limit"),
        ("day", 50, -1, "offset"),
        ("day", 50, 10_001, "offset"),
    ],
)
def test_bad_window_limit_or_offset_is_invalid(app: Flask, window: str, limit: int, offset: int, field: str) -> None:
    reader = make_user("reader")
    with pytest.raises(ChatError) as caught:
        load(reader, window, limit, offset)
    assert (caught.value.code, caught.value.field) == ("invalid", field)


def test_the_deepest_offset_is_served(app: Flask) -> None:
    reader = make_user("reader")
    send(reader, "only one")
    page = load(reader, "all", 50, 10_000)
    assert page.messages == [] and page.has_more is False


def test_unknown_room_is_not_found(app: Flask) -> None:
    reader = make_user("reader")
    with pytest.raises(ChatError) as caught, db.session() as s:
        top.load_top(s, reader.id, "nowhere")
    assert caught.value.code == "not_found"


def test_collapse_follows_the_configured_threshold(make_app: Callable[..., Flask], sqlite_url: str) -> None:
    make_app(sqlite_url, collapse_score=-1)
    alice, bob = make_user("alice"), make_user("bob")
    message_id = send(alice, "meh").message["id"]
    result = vote(bob, message_id, -1)
    assert result.totals["collapsed"] is True and result.ack()["collapsed"] is True
    with db.session() as s:
        assert messages.load_history(s, alice.id, "general").messages[0]["collapsed"] is True
        assert messages.join_room(s, alice.id, RoomRef.of(get_room(s, "general")), None).messages[0]["collapsed"] is True
    assert vote(bob, message_id, -1).totals["collapsed"] is False
