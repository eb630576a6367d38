"""Group commit: many sends and votes in one transaction, numbered and answered exactly."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future

import pytest
from flask import Flask
from sqlalchemy import Connection, Update, event, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.models import Message, Room, Vote
from chatroom.services import batch_apply
from chatroom.services.batch_apply import SendOp, Sent, VoteOp, VoteResult
from chatroom.services.rooms import create_room
from chatroom.services.writer import GroupWriter
from tests.services.test_messages import make_user, send


@pytest.fixture
def app(make_app: Callable[..., Flask], any_db_url: str) -> Flask:
    """The batch is written differently per database (one INSERT … unnest on PostgreSQL)."""
    return make_app(any_db_url)


def apply(ops: list[batch_apply.Op]) -> batch_apply.Applied:
    with db.session() as s:
        return batch_apply.apply_batch(s, ops)


def test_a_batch_of_sends_takes_consecutive_seqs_and_broadcasts_in_order(app: Flask) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    applied = apply(
        [SendOp(alice, "general", f"m{i}", f"a{i}") for i in range(3)] + [SendOp(bob, "general", "b", None)]
    )
    assert [o.message["seq"] for o in applied.outcomes if isinstance(o, Sent)] == [1, 2, 3, 4]
    assert [(event, payload["body"]) for event, payload in applied.broadcasts] == [
        ("data", "m0"), ("data", "m1"), ("data", "m2"), ("data", "b"),
    ]  # fmt: skip
    with db.session() as s:
        assert s.scalar(select(Room.seq).where(Room.slug == "general")) == 4


def test_duplicates_inside_a_batch_and_against_the_database_store_once(app: Flask) -> None:
    alice = make_user("alice")
    earlier = send(alice, "stored before", "dup-old").message
    applied = apply([
        SendOp(alice, "general", "first", "dup-new"),
        SendOp(alice, "general", "first again", "dup-new"),
        SendOp(alice, "general", "old again", "dup-old"),
    ])  # fmt: skip
    first, again, old = applied.outcomes
    assert isinstance(first, Sent) and first.created
    assert isinstance(again, Sent) and not again.created and again.message == first.message
    assert isinstance(old, Sent) and not old.created and old.message["id"] == earlier["id"]
    assert len(applied.broadcasts) == 1
    with db.session() as s:
        assert len(s.scalars(select(Message)).all()) == 2


def test_errors_in_a_batch_do_not_spoil_the_rest(app: Flask) -> None:
    alice = make_user("alice")
    applied = apply(
        [SendOp(alice, "nowhere", "x", None), SendOp(alice, "general", "ok", None), VoteOp(alice, 10**6, 1)]
    )
    missing_room, ok, missing_message = applied.outcomes
    assert isinstance(missing_room, ChatError) and missing_room.code == "not_found"
    assert isinstance(ok, Sent) and ok.message["seq"] == 1
    assert isinstance(missing_message, ChatError) and missing_message.code == "not_found"


def test_votes_on_one_message_in_a_batch_are_one_change_with_exact_per_voter_acks(app: Flask) -> None:
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    message_id = send(alice, "vote on me").message["id"]
    applied = apply([
        VoteOp(bob, message_id, 1),     # up 1
        VoteOp(carol, message_id, 1),   # up 2
        VoteOp(bob, message_id, -1),    # bob switches: up 1, down 1
        VoteOp(carol, message_id, 1),   # carol removes: up 0, down 1
    ])  # fmt: skip
    acks = [o for o in applied.outcomes if isinstance(o, VoteResult)]
    assert [(a.totals["upvotes"], a.totals["downvotes"], a.my_vote) for a in acks] == [
        (1, 0, 1), (2, 0, 1), (1, 1, -1), (0, 1, 0),
    ]  # fmt: skip
    assert {a.totals["seq"] for a in acks} == {2}
    assert applied.broadcasts == [
        (
            "vote",
            {
                "message_id": message_id,
                "room": "general",
                "upvotes": 0,
                "downvotes": 1,
                "score": -1,
                "seq": 2,
                "collapsed": False,
            },
        )
    ]
    with db.session() as s:
        message = s.get(Message, message_id)
        assert message is not None and (message.upvotes, message.downvotes, message.seq) == (0, 1, 2)
    # The next single vote continues from the stored state.
    again = apply([VoteOp(bob, message_id, -1)]).outcomes[0]
    assert isinstance(again, VoteResult) and (again.totals["downvotes"], again.my_vote, again.totals["seq"]) == (
        0,
        0,
        3,
    )


def test_a_batch_over_several_rooms_numbers_each_room_from_its_own_sequence(app: Flask) -> None:
    alice = make_user("alice")
    with db.session() as s:
        rooms = ["general"] + [create_room(s, alice.id, name, None).slug for name in ("Second", "Third")]
    apply([SendOp(alice, "third", "earlier", None)])
    statements: list[str] = []

    def record(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        applied = apply([SendOp(alice, rooms[i % 3], f"m{i}", f"c{i}") for i in range(7)])
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    got = [(o.message["room"], o.message["seq"]) for o in applied.outcomes if isinstance(o, Sent)]
    assert got == [
        ("general", 1), ("second", 1), ("third", 2), ("general", 2), ("second", 2), ("third", 3), ("general", 3),
    ]  # fmt: skip
    with db.session() as s:
        assert dict(s.execute(select(Room.slug, Room.seq).where(Room.slug.in_(rooms))).all()) == {
            "general": 3, "second": 2, "third": 3,
        }  # fmt: skip
    room_updates = [q for q in statements if q.lstrip().startswith(("UPDATE rooms", "WITH wanted"))]
    # PostgreSQL takes every room's numbers in one statement; SQLite, one writer at a time, room by room.
    assert len(room_updates) == (1 if db.engine.dialect.name == "postgresql" else 3)


@pytest.mark.postgres
def test_a_batch_locks_its_rooms_in_id_order(make_app: Callable[..., Flask], pg_url: str) -> None:
    """The batch waiting on the first room has not locked the second, so another transaction
    that holds the first can still take the second: no crosswise wait, no deadlock."""
    make_app(pg_url)
    alice = make_user("alice")
    with db.session() as s:
        second = create_room(s, alice.id, "Second", None)
        first_id = s.scalar(select(Room.id).where(Room.slug == "general"))
        second_id = second.id
    assert first_id is not None and first_id < second_id
    holder = db.engine.connect()
    holder.execute(text("SET lock_timeout = '5s'"))
    holder.execute(update_seq(first_id))
    outcome: list[batch_apply.Outcome] = []
    batch = threading.Thread(
        target=lambda: outcome.extend(
            apply([SendOp(alice, "second", "b", None), SendOp(alice, "general", "a", None)]).outcomes
        )
    )
    batch.start()
    try:
        waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'")
        deadline = time.monotonic() + 10
        while holder.execute(waiting).scalar_one() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert batch.is_alive()
        # Locked the other way round this would wait on the batch, which waits on us.
        holder.execute(update_seq(second_id))
    finally:
        holder.rollback()
        holder.close()
    batch.join(timeout=10)
    assert [(o.message["room"], o.message["seq"]) for o in outcome if isinstance(o, Sent)] == [
        ("second", 1), ("general", 1),
    ]  # fmt: skip


def update_seq(room_id: int) -> Update:
    return update(Room).where(Room.id == room_id).values(seq=Room.seq)


def test_new_messages_skip_the_client_id_lookup_and_retries_are_still_answered_without_a_gap(app: Flask) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    statements: list[str] = []

    def record(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    def lookups() -> list[str]:
        return [q for q in statements if q.lstrip().startswith("SELECT") and "messages.client_id) IN" in q]

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        first = apply([SendOp(alice, "general", "hello", "a-1")]).outcomes[0]
        assert isinstance(first, Sent) and first.created
        assert lookups() == []  # a new message: the unique index alone guards it
        statements.clear()
        retried, new = apply([SendOp(alice, "general", "hello", "a-1"), SendOp(bob, "general", "hi", "b-1")]).outcomes
        assert len(lookups()) == 1  # the retry hit the index; the batch was planned again with the lookup
        statements.clear()
        with db.session() as s:
            # Over the limit, a retry of a stored message is answered with it, not refused.
            over = batch_apply.apply_batch(s, [SendOp(alice, "general", "hello", "a-1")], {alice.id: 0})
        assert len(lookups()) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert isinstance(retried, Sent) and not retried.created and retried.message["id"] == first.message["id"]
    assert isinstance(new, Sent) and new.created and new.message["seq"] == 2  # no gap from the rolled-back try
    assert over.outcomes == [Sent(first.message, created=False)] and over.charges == Counter()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 2
        assert s.scalar(select(Room.seq).where(Room.slug == "general")) == 2


def test_kept_room_ids_spare_the_room_query_and_unknown_rooms_stay_not_found(app: Flask) -> None:
    alice = make_user("alice")
    kept: dict[str, int] = {}
    statements: list[str] = []

    def record(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    def send_to(room: str, body: str) -> batch_apply.Outcome:
        statements.clear()
        with db.session() as s:
            return batch_apply.apply_batch(s, [SendOp(alice, room, body, None)], room_ids=kept).outcomes[0]

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert isinstance(send_to("general", "first"), Sent)
        first = list(statements)
        with db.session() as s:
            assert kept == {"general": s.scalar(select(Room.id).where(Room.slug == "general"))}
        second = send_to("general", "second")
        assert isinstance(second, Sent) and second.message["room"] == "general"
        room_queries = [q for q in first if q.lstrip().startswith("SELECT rooms.slug")]
        assert len(room_queries) == 1
        assert not [q for q in statements if q.lstrip().startswith("SELECT rooms.slug")]
        assert len(statements) == len(first) - 1
        unknown = send_to("no-such-room", "lost")
        assert isinstance(unknown, ChatError) and unknown.code == "not_found"
        assert "no-such-room" not in kept
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_group_writer_commits_concurrent_sends_together_and_answers_each(app: Flask) -> None:
    people = [make_user(f"writer{i}") for i in range(8)]
    writer = GroupWriter()
    results: list[batch_apply.Outcome] = []
    barrier = threading.Barrier(len(people))

    def send_via_writer(person: object) -> None:
        barrier.wait()
        results.append(writer.submit(SendOp(person, "general", "together", f"w-{id(person)}")))  # type: ignore[arg-type]

    threads = [threading.Thread(target=send_via_writer, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seqs = sorted(r.message["seq"] for r in results if isinstance(r, Sent))
    assert seqs == list(range(1, len(people) + 1))
    with db.session() as s:
        assert s.scalar(select(Room.seq).where(Room.slug == "general")) == len(people)


def test_group_writer_keeps_its_connection_and_replaces_it_when_the_database_drops_it(
    make_app: Callable[..., Flask], pg_url: str
) -> None:
    """The writer checks one connection out for its batches (no pool checkout and pre-ping per
    commit); when PostgreSQL ends that connection, the next batch is retried on a fresh one."""
    make_app(pg_url)
    alice = make_user("alice")
    writer = GroupWriter()
    checkouts: list[object] = []
    event.listen(db.engine, "checkout", lambda *args: checkouts.append(args))
    for i in range(3):
        assert isinstance(writer.submit(SendOp(alice, "general", f"held {i}", f"held-{i}")), Sent)
    assert len(checkouts) == 1

    with db.engine.connect() as other:
        ended = other.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert ended >= 1
    after = writer.submit(SendOp(alice, "general", "after the drop", "held-after"))
    assert isinstance(after, Sent) and after.created and after.message["seq"] == 4
    assert len(checkouts) >= 2
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 4


def test_group_writer_never_retries_a_batch_whose_commit_was_cut_off(
    make_app: Callable[..., Flask], pg_url: str
) -> None:
    """A connection lost while its COMMIT is on the way leaves the outcome unknown: a vote
    sent again would toggle back. The waiter gets the error; the writer goes on afresh."""
    make_app(pg_url)
    alice, bob = make_user("alice"), make_user("bob")
    message_id = send(alice, "vote on me", "target").message["id"]
    writer = GroupWriter()
    assert isinstance(writer.submit(SendOp(alice, "general", "warm up", "warm")), Sent)
    cut = {"done": False}

    def end_the_backend_first(connection: Connection) -> None:
        if cut["done"]:
            return
        cut["done"] = True
        end_own_backend(connection)

    event.listen(db.engine, "commit", end_the_backend_first)
    with pytest.raises(DBAPIError):
        writer.submit(VoteOp(bob, message_id, 1))
    assert cut["done"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Vote)) == 0
    again = writer.submit(VoteOp(bob, message_id, 1))
    assert isinstance(again, VoteResult) and again.my_vote == 1


def end_own_backend(connection: Connection) -> None:
    """End the PostgreSQL backend of `connection` from another connection, and wait until it is gone."""
    pid = connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
    # Each check in a transaction of its own: a transaction sees one snapshot of pg_stat_activity.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        while other.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
            time.sleep(0.01)


def test_group_writer_sends_new_messages_in_one_committing_statement_and_votes_in_a_transaction(
    make_app: Callable[..., Flask], pg_url: str
) -> None:
    make_app(pg_url)
    alice, bob = make_user("alice"), make_user("bob")
    writer = GroupWriter()
    statements: list[str] = []

    def record(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.lstrip().split(None, 1)[0])

    assert isinstance(writer.submit(SendOp(alice, "general", "warm up", "a-0")), Sent)  # the room id is kept
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        sent = writer.submit(SendOp(alice, "general", "hello", "a-1"))
        sends = list(statements)
        assert isinstance(sent, Sent) and sent.created
        statements.clear()
        voted = writer.submit(VoteOp(bob, sent.message["id"], 1))
        votes = list(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert isinstance(voted, VoteResult) and voted.my_vote == 1
    # The send: the mutes read and the statement that takes the seq and inserts (it commits by itself).
    assert sends == ["SELECT", "WITH"]
    # The vote: its target read, then a transaction for the seq, the read under the lock and the writes.
    assert votes[:2] == ["SELECT", "BEGIN"] and len(votes) == 5
    with db.session() as s:
        assert s.scalar(select(Message.upvotes).where(Message.id == sent.message["id"])) == 1


@pytest.mark.parametrize("cut", ["read", "write"])
def test_group_writer_retries_a_batch_cut_off_in_its_reads_but_never_in_its_committing_write(
    make_app: Callable[..., Flask], pg_url: str, cut: str
) -> None:
    """A new message's write commits as it ends: a connection lost while it is on the way
    leaves the outcome unknown (a message without client_id would be stored twice), so the
    waiter gets the error. A connection lost during the reads before it is retried."""
    make_app(pg_url)
    alice = make_user("alice")
    writer = GroupWriter()
    assert isinstance(writer.submit(SendOp(alice, "general", "warm up", "warm")), Sent)
    cut_before = "SELECT" if cut == "read" else "WITH"
    done: list[bool] = []

    def end_the_backend_first(connection: Connection, _cursor: object, statement: str, *_args: object) -> None:
        if not done and statement.lstrip().startswith(cut_before):
            done.append(True)
            end_own_backend(connection)

    event.listen(db.engine, "before_cursor_execute", end_the_backend_first)
    try:
        if cut == "read":
            outcome = writer.submit(SendOp(alice, "general", "after the cut", None))
            assert isinstance(outcome, Sent) and outcome.created and outcome.message["seq"] == 2
        else:
            with pytest.raises(DBAPIError):
                writer.submit(SendOp(alice, "general", "after the cut", None))
    finally:
        event.remove(db.engine, "before_cursor_execute", end_the_backend_first)
    assert done
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == (2 if cut == "read" else 1)
    assert isinstance(writer.submit(SendOp(alice, "general", "goes on", None)), Sent)


class RecordingLimit:
    """A message limit that records when it is asked and charged, and whether a transaction was open."""

    def __init__(self, left: dict[int, int]) -> None:
        self.left = left
        self.charged: Counter[int] = Counter()
        self.connections_in_use: list[int] = []

    def messages_left(self, user_id: int) -> int | None:
        self.connections_in_use.append(db.engine.pool.checkedout())  # type: ignore[attr-defined]
        return self.left.get(user_id)

    def charge_messages(self, user_id: int, count: int) -> None:
        self.connections_in_use.append(db.engine.pool.checkedout())  # type: ignore[attr-defined]
        self.charged[user_id] += count


def lookup_misses_once(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The first read of stored client ids finds nothing, as if another process stored one
    right after it; returns the count of reads."""
    real_lookup = batch_apply._stored_by_client_ids
    calls = {"n": 0}

    def lookup(session: Session, keys: set[tuple[int, str]]) -> dict[tuple[int, str], Sent]:
        calls["n"] += 1
        return {} if calls["n"] == 1 else real_lookup(session, keys)

    monkeypatch.setattr(batch_apply, "_stored_by_client_ids", lookup)
    return calls


def test_a_uniqueness_race_is_planned_again_without_charging_twice_or_skipping_a_refusal(
    make_app: Callable[..., Flask], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection stored the same client_id between our read and our insert."""
    make_app(pg_url)
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    raced = send(alice, "stored by the other connection", "raced").message
    calls = lookup_misses_once(monkeypatch)
    limit = RecordingLimit({alice.id: 20, bob.id: 0, carol.id: 20})
    writer = GroupWriter(limit, synchronous=True)
    retried = writer.submit(SendOp(alice, "general", "retry", "raced"))
    assert calls["n"] == 2  # the first plan lost the race and was made again
    assert isinstance(retried, Sent) and not retried.created and retried.message["id"] == raced["id"]
    assert limit.charged == Counter()  # the other connection stored it: not charged here
    calls["n"] = 0
    refused, bystander = apply_with(
        writer, [SendOp(bob, "general", "over the limit", "b-1"), SendOp(carol, "general", "bystander", "c-1")]
    )
    assert calls["n"] == 1
    assert isinstance(refused, ChatError) and refused.code == "rate_limited"
    assert isinstance(bystander, Sent) and bystander.created
    assert limit.charged == Counter({carol.id: 1})
    # The limit store is asked before the transaction and charged after the commit.
    assert set(limit.connections_in_use) == {0}


def test_a_batch_that_loses_the_race_keeps_its_refusals(
    make_app: Callable[..., Flask], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planned again after a rollback, an op refused by the limit stays refused."""
    make_app(pg_url)
    alice, bob = make_user("alice"), make_user("bob")
    send(alice, "stored by the other connection", "raced")
    calls = lookup_misses_once(monkeypatch)
    with db.session() as s:
        applied = batch_apply.apply_batch(
            s, [SendOp(alice, "general", "retry", "raced"), SendOp(bob, "general", "refused", "b-1")], {bob.id: 0}
        )
    retried, refused = applied.outcomes
    assert calls["n"] == 2
    assert isinstance(retried, Sent) and not retried.created
    assert isinstance(refused, ChatError) and refused.code == "rate_limited"
    assert applied.charges == Counter() and applied.broadcasts == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 1


def apply_with(writer: GroupWriter, ops: list[batch_apply.Op]) -> list[batch_apply.Outcome]:
    """Submit ops at once so that the writer commits them as one batch."""
    futures: list[Future[batch_apply.Outcome]] = [Future() for _ in ops]
    writer._apply(list(zip(ops, futures, strict=True)))
    return [future.result() for future in futures]
