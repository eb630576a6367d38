"""Group commit: apply a batch of sends, votes, edits and deletes in one transaction.

Each change in a room takes the next number of the room's sequence (docs/protocol.md).
A batch takes all the numbers it needs from each room in one UPDATE, which holds the room
row's lock until the commit; changes are therefore numbered in commit order with no gaps,
and concurrent batches (other processes) on the same room run one after the other.

This module reads the rows a batch needs, has `batch_plan` decide what changes, and runs
that plan's SQL. It never calls the rate limiter: the caller passes each author's budget in
and charges `Applied.charges` after the commit (services/writer.py).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatroom.errors import ChatError
from chatroom.models import Message, MessageMention, MessageVersion, ModerationEntry, Mute, Room, User, Vote, utcnow
from chatroom.ranking import wilson_lower_bound
from chatroom.schemas import MAX_ID
from chatroom.services.batch_plan import (
    Change,
    CurrentRows,
    DeleteOp,
    EditOp,
    NewSend,
    Op,
    Outcome,
    Plan,
    SendOp,
    Sent,
    Target,
    VoteFold,
    VoteOp,
    VoteResult,
    fold_votes,
    plan_batch,
    totals,
)
from chatroom.services.mention_names import Named, mentioned, resolve
from chatroom.services.rooms import SLUG_RE
from chatroom.wire import message_dict

__all__ = ["Applied", "DeleteOp", "EditOp", "Op", "Outcome", "SendOp", "Sent", "VoteOp", "VoteResult", "apply_batch"]

# A batch that loses a uniqueness race (the same client_id stored by another process between
# our read and our insert) is read and planned again; the rows it lost to are then found.
ATTEMPTS = 3


@dataclass
class Applied:
    """What a committed batch answers each op, what to broadcast (in seq order), whom to
    charge (the messages each author stored), and whom to tell of a new mention: (user id, M)."""

    outcomes: list[Outcome]
    broadcasts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    charges: Counter[int] = field(default_factory=Counter)
    mentions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def apply_batch(
    session: Session,
    ops: list[Op],
    budgets: Mapping[int, int] | None = None,
    room_ids: dict[str, int] | None = None,
) -> Applied:
    """Apply and commit `ops` together; the caller broadcasts and charges afterwards.

    `budgets`: how many more messages each author may send (plan_batch). A batch rolled
    back by a uniqueness race is planned again from fresh rows with the same budgets, so an
    op refused the first time stays refused and a message stored by the other process is
    answered as a retry, charged to nobody here.

    `room_ids`: room ids by slug that the caller keeps from batch to batch (the writer does);
    slugs missing from it are read and added. A room is never deleted and its slug never
    changes, so a kept id stays right, and a batch of sends to known rooms saves a query.

    The first try does not look the batch's client_ids up: nearly every message is new, and
    the unique index on (author, client_id) stops a retry of a stored one. That try is then
    rolled back and the batch planned again with the lookup; it is not counted among the
    ATTEMPTS. A send the first plan refuses (muted, over the limit) is looked up at once,
    since a retry of a stored message is answered with it, not refused.
    """
    looked_up = not _client_ids(ops)
    attempt = 1
    while True:
        try:
            session.info.pop(WRITE_SENT, None)  # a statement that failed committed nothing
            applied = _apply(session, ops, budgets or {}, {} if room_ids is None else room_ids, looked_up)
            session.commit()
            return applied
        except (IntegrityError, _StaleError) as exc:
            session.rollback()
            if not looked_up and isinstance(exc, IntegrityError):
                looked_up = True
                continue
            if attempt == ATTEMPTS:
                if isinstance(exc, _StaleError):
                    raise ChatError("unavailable", "the message changed meanwhile; try again") from exc
                raise
            attempt += 1


# Set in a session's info when the batch has sent a statement that commits by itself: from
# then on, a lost connection leaves the batch's outcome unknown (GroupWriter._commit).
WRITE_SENT = "chatroom.write_sent"


def _autocommits(session: Session) -> bool:
    """Whether the session's connection commits each statement (the writer's own connection
    on PostgreSQL, services/writer.py): a batch then reads without a transaction and begins
    one only when it writes more than one statement, which saves the BEGIN and COMMIT round
    trips of a batch of new messages. Reads outside the transaction see what they would see
    in one: each statement of a READ COMMITTED transaction reads the latest commits anyway."""
    return bool(session.connection().get_execution_options().get("isolation_level") == "AUTOCOMMIT")


class _StaleError(Exception):
    """A message the batch edits, deletes or votes on changed between its read and the room
    lock (another process): the batch is rolled back and planned again from fresh rows."""


def _stored_by_client_ids(session: Session, keys: set[tuple[int, str]]) -> dict[tuple[int, str], Sent]:
    if not keys:
        return {}
    rows = session.execute(
        select(Message, Room.slug, Vote.value)
        .join(Room, Room.id == Message.room_id)
        .outerjoin(Vote, and_(Vote.message_id == Message.id, Vote.user_id == Message.author_id))
        .where(tuple_(Message.author_id, Message.client_id).in_(sorted(keys)))
    ).all()
    found: dict[tuple[int, str], Sent] = {}
    for message, slug, my_vote in rows:
        assert message.client_id is not None
        found[(message.author_id, message.client_id)] = Sent(_view(message, slug, my_vote or 0), created=False)
    return found


def _view(message: Message, slug: str, my_vote: int) -> dict[str, Any]:
    return message_dict(
        message.id, slug, message.body, message.author_id, message.author.username, message.created_at,
        message.upvotes, message.downvotes, message.client_id, message.seq, my_vote,
        edited_at=message.edited_at, deleted=message.deleted, mentions=message.mentions,
    )  # fmt: skip


def _targets(session: Session, ids: set[int]) -> dict[int, Target]:
    if not ids:
        return {}
    rows = session.execute(
        select(Message.id, Message.room_id, Room.slug, Message.author_id, Message.created_at, Message.deleted)
        .join(Room, Room.id == Message.room_id)
        .where(Message.id.in_(ids))
    )
    return {
        message_id: Target(room_id, slug, author_id, created_at, bool(deleted))
        for message_id, room_id, slug, author_id, created_at, deleted in rows
    }


def _target_ids(ops: list[Op]) -> set[int]:
    return {op.message_id for op in ops if isinstance(op, VoteOp | EditOp | DeleteOp) and op.message_id <= MAX_ID}


def _client_ids(ops: list[Op]) -> set[tuple[int, str]]:
    return {(op.author.id, op.client_id) for op in ops if isinstance(op, SendOp) and op.client_id}


def _refuses_a_client_id(ops: list[Op], plan: Plan) -> bool:
    return any(
        isinstance(outcome, ChatError) and isinstance(op := ops[i], SendOp) and op.client_id
        for i, outcome in plan.settled.items()
    )


def _read_rows(session: Session, ops: list[Op], known_rooms: dict[str, int], look_up: bool = True) -> CurrentRows:
    slugs = {op.room for op in ops if isinstance(op, SendOp) and SLUG_RE.match(op.room)}
    room_ids = {slug: known_rooms[slug] for slug in slugs if slug in known_rooms}
    if missing := slugs - room_ids.keys():
        found = {slug: room_id for slug, room_id in session.execute(select(Room.slug, Room.id).where(Room.slug.in_(missing)))}
        room_ids.update(found)
        known_rooms.update(found)
    targets = _targets(session, _target_ids(ops))
    voted = {op.message_id for op in ops if isinstance(op, VoteOp)}
    vote_targets = {m: (t.room_id, t.slug) for m, t in targets.items() if m in voted}
    actors = {op.actor.id for op in ops if isinstance(op, DeleteOp)}
    roles: dict[int, str] = {}
    if actors:
        roles = {
            user_id: role for user_id, role in session.execute(select(User.id, User.role).where(User.id.in_(actors)))
        }
    senders = {op.author.id for op in ops if isinstance(op, SendOp)}
    now = utcnow()
    mutes: dict[tuple[int, int], datetime] = {}
    if senders and room_ids:
        # Mutes live in the database, so every process enforces one set anywhere.
        rows = session.execute(
            select(Mute.user_id, Mute.room_id, Mute.until).where(
                Mute.user_id.in_(senders), Mute.room_id.in_(room_ids.values()), Mute.until > now
            )
        )
        mutes = {(user_id, room_id): until for user_id, room_id, until in rows}
    return CurrentRows(
        room_ids,
        _stored_by_client_ids(session, _client_ids(ops)) if look_up else {},
        vote_targets,
        targets=targets,
        roles=roles,
        mutes=mutes,
        now=now,
    )


def _apply(
    session: Session, ops: list[Op], budgets: Mapping[int, int], known_rooms: dict[str, int], look_up: bool
) -> Applied:
    """One try of apply_batch; `look_up`: read the stored messages of the batch's client_ids."""
    rows = _read_rows(session, ops, known_rooms, look_up)
    plan = plan_batch(ops, rows, budgets)
    if not look_up and _refuses_a_client_id(ops, plan):
        rows = replace(rows, stored=_stored_by_client_ids(session, _client_ids(ops)))
        plan = plan_batch(ops, rows, budgets)
    # Every name the batch's new bodies could mention, in one query and before the room locks.
    people = resolve(
        session,
        [send.op.body for send in plan.new_sends]
        + [change.op.body for change in plan.changes if isinstance(change.op, EditOp)],
    )
    counts = plan.seq_counts()
    new_rows, others = _new_rows(plan.new_sends, people)
    if _autocommits(session):
        if plan.votes or plan.changes or any(others):
            # Several statements to write: one transaction, begun after the reads above.
            session.execute(text("BEGIN"))
        elif new_rows:
            # New messages alone are written by one statement, which commits as it ends.
            session.info[WRITE_SENT] = True
    ids: list[int] | None = None
    # Take the sequence numbers, locking the rooms in id order so that two batches never
    # wait on each other's rooms crosswise. On PostgreSQL the new messages are inserted
    # by the same statement, numbered from where each room's sequence stood.
    if new_rows and session.get_bind().dialect.name == "postgresql":
        offsets, _, _ = plan.number_all(dict.fromkeys(counts, 1))
        first_seqs, ids = _take_seqs_and_insert(session, counts, new_rows, offsets)
    else:
        first_seqs = _take_seqs(session, counts)
    changed = {change.op.message_id for change in plan.changes} | set(plan.current.values())
    if changed and _targets(session, changed) != {m: rows.targets[m] for m in changed}:
        # Read again under the room locks: another process deleted one of them meanwhile.
        # (Votes check their message as they update it: _apply_votes.)
        raise _StaleError
    send_seqs, vote_seqs, change_seqs = plan.number_all(first_seqs)

    outcomes: dict[int, Outcome] = dict(plan.settled)
    broadcasts: list[tuple[int, str, dict[str, Any]]] = []
    notices: list[tuple[int, dict[str, Any]]] = []
    if plan.new_sends:
        created = _insert_messages(session, plan.new_sends, new_rows, others, send_seqs, ids, notices)
        for send, message in zip(plan.new_sends, created, strict=True):
            outcomes[send.index] = Sent(message, created=True)
            broadcasts.append((message["seq"], "data", message))
        for i, first in plan.repeats.items():
            stored = outcomes[first]
            assert isinstance(stored, Sent)
            outcomes[i] = Sent(stored.message, created=False)
    if vote_seqs:
        outcomes.update(_apply_votes(session, plan, vote_seqs, broadcasts))
    for change, seq in zip(plan.changes, change_seqs, strict=True):
        message, newly_mentioned = _apply_change(session, change, seq, rows.now, people)
        outcomes[change.index] = Sent(message, created=False)
        # The ack carries the actor's own vote; a broadcast, as ever, my_vote 0.
        broadcasts.append((seq, "update", {**message, "my_vote": 0}))
        notices.extend((user_id, {**message, "my_vote": 0}) for user_id in newly_mentioned)
    for i, message_id in plan.current.items():
        outcomes[i] = Sent(_current_view(session, message_id), created=False)

    broadcasts.sort(key=lambda item: item[0])
    return Applied(
        [outcomes[i] for i in range(len(ops))],
        [(event, payload) for _, event, payload in broadcasts],
        plan.stored_by_author,
        notices,
    )


# Every room's numbers in one statement, whatever the number of rooms. The MATERIALIZED
# CTE hands its rows out in id order and locks each as it does; the UPDATE reaches a room
# only through its row there, so the rooms are locked in id order, as one UPDATE per room
# in id order would (the order every batch of every process takes them in: no deadlock).
_LOCK_AND_TAKE = (
    "WITH wanted AS (SELECT id, n FROM unnest(CAST(:ids AS bigint[]), CAST(:counts AS bigint[])) AS w(id, n)), "
    "locked AS MATERIALIZED (SELECT rooms.id FROM rooms JOIN wanted ON wanted.id = rooms.id "
    "ORDER BY rooms.id FOR UPDATE OF rooms)"
)
_TAKE = (
    "UPDATE rooms SET seq = rooms.seq + wanted.n FROM wanted JOIN locked ON locked.id = wanted.id "
    "WHERE rooms.id = locked.id RETURNING rooms.id, rooms.seq"
)
_TAKE_SEQS = text(f"{_LOCK_AND_TAKE} {_TAKE}")
# The same, and the batch's new messages inserted from one array per column: one statement
# text whatever the batch size, so psycopg parses it once (a multi-row VALUES list is a new
# statement for every row count). Each message's seq is its room's number before the batch
# plus its place among the room's new numbers (`offsets`, from 1). Room rows come back with
# a NULL message id; each message's (room_id, seq) is unique, which maps the ids back to
# the rows whatever order RETURNING gives them in.
_TAKE_SEQS_AND_INSERT = text(
    f"{_LOCK_AND_TAKE}, taken AS ({_TAKE}, wanted.n), "  # noqa: S608 - constants only, no input
    "added AS (INSERT INTO messages "
    "(room_id, author_id, body, client_id, created_at, upvotes, downvotes, seq, mentions) "
    "SELECT r, a, b, c, t, 0, 0, taken.seq - taken.n + o, CAST(m AS json) FROM unnest("
    "CAST(:room_ids AS bigint[]), CAST(:author_ids AS bigint[]), CAST(:bodies AS text[]), "
    "CAST(:client_ids AS varchar[]), CAST(:created AS timestamptz[]), CAST(:offsets AS bigint[]), "
    "CAST(:mentions AS text[])"
    ") AS batch(r, a, b, c, t, o, m) JOIN taken ON taken.id = batch.r RETURNING id, room_id, seq) "
    "SELECT id, seq, CAST(NULL AS bigint) FROM taken UNION ALL SELECT room_id, seq, id FROM added"
)


def _take_seqs(session: Session, counts: Mapping[int, int]) -> dict[int, int]:
    """Take `counts[room]` numbers from each room's sequence; the first number of each.
    The room rows stay locked until the commit (see the module's docstring)."""
    if not counts:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        ids = sorted(counts)
        rows = session.execute(_TAKE_SEQS, {"ids": ids, "counts": [counts[i] for i in ids]}).all()
        last = {int(room_id): int(seq) for room_id, seq in rows}
    else:
        # SQLite runs one writer at a time; a room at a time is all it needs.
        last = {
            room_id: int(
                session.execute(
                    update(Room).where(Room.id == room_id).values(seq=Room.seq + count).returning(Room.seq)
                ).scalar_one()
            )
            for room_id, count in sorted(counts.items())
        }
    return {room_id: last[room_id] - count + 1 for room_id, count in counts.items()}


def _take_seqs_and_insert(
    session: Session, counts: Mapping[int, int], rows: list[dict[str, Any]], offsets: list[int]
) -> tuple[dict[int, int], list[int]]:
    """_take_seqs and the new messages' INSERT in one statement (PostgreSQL): the first
    number of each room, and the id of each row, in order."""
    ids = sorted(counts)
    returned = session.execute(
        _TAKE_SEQS_AND_INSERT,
        {
            "ids": ids,
            "counts": [counts[i] for i in ids],
            "room_ids": [row["room_id"] for row in rows],
            "author_ids": [row["author_id"] for row in rows],
            "bodies": [row["body"] for row in rows],
            "client_ids": [row["client_id"] for row in rows],
            "created": [row["created_at"] for row in rows],
            "offsets": offsets,
            "mentions": [json.dumps(row["mentions"]) for row in rows],
        },
    ).all()
    last = {int(room_id): int(seq) for room_id, seq, message_id in returned if message_id is None}
    first = {room_id: last[room_id] - count + 1 for room_id, count in counts.items()}
    by_position = {(room_id, seq): message_id for room_id, seq, message_id in returned if message_id is not None}
    return first, [
        int(by_position[(row["room_id"], first[row["room_id"]] + offset - 1)])
        for row, offset in zip(rows, offsets, strict=True)
    ]


def _new_rows(new_sends: list[NewSend], people: Mapping[str, Named]) -> tuple[list[dict[str, Any]], list[list[int]]]:
    """The messages table's row of each new message, but its seq (not known before the
    room locks), and the ids of the people each one mentions besides its author (the author
    is never a mention of their own: no row, no notice)."""
    now: datetime = utcnow()
    rows: list[dict[str, Any]] = []
    others: list[list[int]] = []
    for send in new_sends:
        named = mentioned(send.op.body, people)
        rows.append(
            {
                "room_id": send.room_id,
                "author_id": send.op.author.id,
                "body": send.op.body,
                "client_id": send.op.client_id,
                "created_at": now,
                "upvotes": 0,
                "downvotes": 0,
                "mentions": [person.username for person in named],
            }
        )
        others.append([person.id for person in named if person.id != send.op.author.id])
    return rows, others


def _insert_messages(
    session: Session,
    new_sends: list[NewSend],
    rows: list[dict[str, Any]],
    others: list[list[int]],
    seqs: list[int],
    ids: list[int] | None,
    notices: list[tuple[int, dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Store the new messages (unless `ids` says they are: _take_seqs_and_insert) and their
    mentions; add to `notices` whom each one mentions."""
    if ids is None:
        values = [{**row, "seq": seq} for row, seq in zip(rows, seqs, strict=True)]
        ids = list(session.scalars(insert(Message).returning(Message.id, sort_by_parameter_order=True), values).all())
    messages = [
        message_dict(
            message_id, send.op.room, send.op.body, send.op.author.id, send.op.author.username, row["created_at"],
            0, 0, send.op.client_id, seq, 0, mentions=row["mentions"],
        )
        for send, row, message_id, seq in zip(new_sends, rows, ids, seqs, strict=True)
    ]  # fmt: skip
    mention_rows = [
        {"message_id": message_id, "user_id": user_id, "room_id": send.room_id}
        for send, user_ids, message_id in zip(new_sends, others, ids, strict=True)
        for user_id in user_ids
    ]
    if mention_rows:
        session.execute(insert(MessageMention), mention_rows)
        by_id = {message["id"]: message for message in messages}
        notices.extend((row["user_id"], by_id[row["message_id"]]) for row in mention_rows)
    return messages


# Core (not ORM) UPDATE, so that a list of parameter sets runs as one executemany.
_VOTES: Table = Vote.__table__  # type: ignore[assignment]
_SWITCH_VOTE = (
    update(_VOTES)
    .where(_VOTES.c.user_id == bindparam("u"), _VOTES.c.message_id == bindparam("m"))
    .values(value=bindparam("v"))
)

_MESSAGES: Table = Message.__table__  # type: ignore[assignment]
_SET_TOTALS = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("i"))
    .values(upvotes=bindparam("u"), downvotes=bindparam("d"), seq=bindparam("s"), wilson_lb=bindparam("lb"))
)


def _apply_votes(
    session: Session, plan: Plan, vote_seqs: dict[int, int], broadcasts: list[tuple[int, str, dict[str, Any]]]
) -> dict[int, VoteResult]:
    pairs = {(op.voter.id, op.message_id) for _, op in plan.votes}
    # The voters' current votes and each message's stored totals, in one query. Read after
    # the room locks were taken: no other writer can change these rows now, so the totals
    # are still the stored ones when the new totals are written below.
    before: dict[tuple[int, int], int] = {}
    stored: dict[int, tuple[int, int, bool]] = {}
    for message_id, up, down, deleted, user_id, value in session.execute(
        select(Message.id, Message.upvotes, Message.downvotes, Message.deleted, Vote.user_id, Vote.value)
        .outerjoin(Vote, and_(Vote.message_id == Message.id, tuple_(Vote.user_id, Vote.message_id).in_(sorted(pairs))))
        .where(Message.id.in_(sorted(vote_seqs)))
    ):
        stored[message_id] = (int(up), int(down), bool(deleted))
        if user_id is not None:
            before[(user_id, message_id)] = value
    fold = fold_votes(plan.votes, before)
    # Statements whose text does not depend on the batch: compiled once and cached.
    # Each message's new totals and Top rank, written together with the vote rows.
    final: dict[int, tuple[int, int]] = {}
    rows: list[dict[str, Any]] = []
    for message_id, seq in vote_seqs.items():
        up, down = fold.deltas[message_id]
        if stored[message_id][2]:
            # Deleted by another process after this batch read it: plan again, refusing the vote.
            raise _StaleError
        final[message_id] = (stored[message_id][0] + up, stored[message_id][1] + down)
        rows.append(
            {
                "i": message_id,
                "u": final[message_id][0],
                "d": final[message_id][1],
                "s": seq,
                "lb": wilson_lower_bound(*final[message_id]),
            }
        )
        slug = plan.voted[message_id][1]
        broadcasts.append((seq, "vote", totals(message_id, slug, *final[message_id], seq)))
    if session.get_bind().dialect.name == "postgresql":
        _write_votes_postgresql(session, fold, rows)
    else:
        if fold.inserts:
            session.execute(insert(Vote), [{"user_id": u, "message_id": m, "value": v} for u, m, v in fold.inserts])
        if fold.switches:
            session.execute(_SWITCH_VOTE, [{"u": u, "m": m, "v": v} for u, m, v in fold.switches])
        if fold.removals:
            session.execute(delete(Vote).where(tuple_(Vote.user_id, Vote.message_id).in_(fold.removals)))
        session.execute(_SET_TOTALS, rows)
    return fold.results(final, plan.voted, vote_seqs)


# A vote batch's writes in one statement: the new, switched and withdrawn votes and the
# messages' new totals. fold_votes gives each (voter, message) pair at most one of the three
# row changes, and the totals are another table, so no row is changed twice.
_WRITE_VOTES = text(
    "WITH added AS (INSERT INTO votes (user_id, message_id, value, created_at) "
    "SELECT u, m, v, CAST(:now AS timestamptz) FROM unnest("
    "CAST(:add_users AS bigint[]), CAST(:add_messages AS bigint[]), CAST(:add_values AS smallint[])) AS a(u, m, v)), "
    "switched AS (UPDATE votes SET value = s.v FROM unnest("
    "CAST(:switch_users AS bigint[]), CAST(:switch_messages AS bigint[]), CAST(:switch_values AS smallint[])"
    ") AS s(u, m, v) WHERE votes.user_id = s.u AND votes.message_id = s.m), "
    "removed AS (DELETE FROM votes USING unnest("
    "CAST(:remove_users AS bigint[]), CAST(:remove_messages AS bigint[])"
    ") AS r(u, m) WHERE votes.user_id = r.u AND votes.message_id = r.m) "
    "UPDATE messages SET upvotes = t.u, downvotes = t.d, seq = t.s, wilson_lb = t.lb FROM unnest("
    "CAST(:ids AS bigint[]), CAST(:ups AS integer[]), CAST(:downs AS integer[]), CAST(:seqs AS bigint[]), "
    "CAST(:lbs AS double precision[])) AS t(i, u, d, s, lb) WHERE messages.id = t.i"
)


def _write_votes_postgresql(session: Session, fold: VoteFold, totals_rows: list[dict[str, Any]]) -> None:
    session.execute(
        _WRITE_VOTES,
        {
            "now": utcnow(),
            "add_users": [u for u, _, _ in fold.inserts],
            "add_messages": [m for _, m, _ in fold.inserts],
            "add_values": [v for _, _, v in fold.inserts],
            "switch_users": [u for u, _, _ in fold.switches],
            "switch_messages": [m for _, m, _ in fold.switches],
            "switch_values": [v for _, _, v in fold.switches],
            "remove_users": [u for u, _ in fold.removals],
            "remove_messages": [m for _, m in fold.removals],
            "ids": [row["i"] for row in totals_rows],
            "ups": [row["u"] for row in totals_rows],
            "downs": [row["d"] for row in totals_rows],
            "seqs": [row["s"] for row in totals_rows],
            "lbs": [row["lb"] for row in totals_rows],
        },
    )


def _my_vote(session: Session, user_id: int, message_id: int) -> int:
    return int(session.scalar(select(Vote.value).where(Vote.user_id == user_id, Vote.message_id == message_id)) or 0)


def _current_view(session: Session, message_id: int) -> dict[str, Any]:
    message, slug = session.execute(
        select(Message, Room.slug)
        .join(Room, Room.id == Message.room_id)
        .where(Message.id == message_id)
        .execution_options(populate_existing=True)
    ).one()
    return _view(message, slug, 0)


def _apply_change(
    session: Session, change: Change, seq: int, now: datetime, people: Mapping[str, Named]
) -> tuple[dict[str, Any], list[int]]:
    """Apply one edit or delete (after the votes, so its M carries the batch's final totals).

    Returns the M and the people the edit newly mentions: those named now and not before.
    """
    op = change.op
    message_id = op.message_id
    # The message's mentions follow its body: an edit replaces them, a delete drops them.
    before = set(
        session.scalars(
            delete(MessageMention).where(MessageMention.message_id == message_id).returning(MessageMention.user_id)
        )
    )
    newly: list[int] = []
    if isinstance(op, EditOp):
        # The body being replaced becomes a version, with the time it was itself written.
        session.execute(
            insert(MessageVersion).from_select(
                ["message_id", "body", "edited_at"],
                select(Message.id, Message.body, Message.edited_at).where(Message.id == message_id),
            )
        )
        named = mentioned(op.body, people)
        values: dict[str, Any] = {
            "body": op.body,
            "edited_at": now,
            "seq": seq,
            "mentions": [person.username for person in named],
        }
        others = [person.id for person in named if person.id != change.author_id]
        if others:
            session.execute(
                insert(MessageMention),
                [{"message_id": message_id, "user_id": user_id, "room_id": change.room_id} for user_id in others],
            )
        newly = [user_id for user_id in others if user_id not in before]
        actor_id = op.editor.id
    else:
        values = {"deleted": True, "seq": seq}
        actor_id = op.actor.id
        if change.logged:
            session.add(
                ModerationEntry(
                    room_id=change.room_id,
                    action="delete",
                    moderator_id=actor_id,
                    target_id=change.author_id,
                    message_id=message_id,
                    reason=change.reason,
                    created_at=now,
                )
            )
            session.flush()
    row = session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(**values)
        .returning(
            Message.body, Message.created_at, Message.upvotes, Message.downvotes, Message.client_id,
            Message.edited_at, Message.deleted, Message.mentions,
        )
    ).one()  # fmt: skip
    author = session.scalar(select(User.username).where(User.id == change.author_id)) or ""
    body, created_at, up, down, client_id, edited_at, deleted, names = row
    message = message_dict(
        message_id, change.slug, body, change.author_id, author, created_at, int(up), int(down), client_id, seq,
        _my_vote(session, actor_id, message_id), edited_at=edited_at, deleted=bool(deleted), mentions=names,
    )  # fmt: skip
    return message, newly
