"""Group commit: apply a batch of sends and votes in one transaction.

Each change in a room takes the next number of the room's sequence (docs/protocol.md).
A batch takes all the numbers it needs from each room in one UPDATE, which holds the room
row's lock until the commit; changes are therefore numbered in commit order with no gaps,
and concurrent batches (other processes) on the same room run one after the other.

Within a batch, several votes on one message are one change: they take one number and
lead to one broadcast carrying the absolute totals after the last of them, while every
voter still gets an ack with the totals right after their own vote.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatroom.errors import ChatError
from chatroom.models import Message, Room, Vote, utcnow
from chatroom.ratelimits import socket_limits
from chatroom.schemas import MAX_ID
from chatroom.services.accounts import SessionUser
from chatroom.services.rooms import SLUG_RE
from chatroom.wire import message_dict


@dataclass(frozen=True)
class SendOp:
    """A message to store. The body is already trimmed and within limits."""

    author: SessionUser
    room: str
    body: str
    client_id: str | None


@dataclass(frozen=True)
class VoteOp:
    voter: SessionUser
    message_id: int
    value: int  # 1 or -1


Op = SendOp | VoteOp


@dataclass(frozen=True)
class Sent:
    message: dict[str, Any]
    created: bool


@dataclass(frozen=True)
class VoteResult:
    totals: dict[str, Any]
    my_vote: int

    def ack(self) -> dict[str, Any]:
        body = {key: value for key, value in self.totals.items() if key != "room"}
        return {"ok": True, **body, "my_vote": self.my_vote}


Outcome = Sent | VoteResult | ChatError


@dataclass
class Applied:
    """What a committed batch answers each op, and what to broadcast (in seq order)."""

    outcomes: list[Outcome]
    broadcasts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def apply_batch(session: Session, ops: list[Op], count_limits: bool = True) -> Applied:
    """Apply and commit `ops` together; the caller broadcasts `Applied.broadcasts` afterwards.

    A uniqueness race with another process (the same client_id sent through two
    connections) rolls the batch back; its ops are then applied one at a time, without
    counting their sends against the rate limit a second time.
    """
    try:
        applied = _apply(session, ops, count_limits)
        session.commit()
        return applied
    except IntegrityError:
        session.rollback()
        if len(ops) > 1:
            outcomes: list[Outcome] = []
            broadcasts: list[tuple[str, dict[str, Any]]] = []
            for op in ops:
                single = apply_batch(session, [op], count_limits=False)
                outcomes += single.outcomes
                broadcasts += single.broadcasts
            return Applied(outcomes, broadcasts)
        op = ops[0]
        if isinstance(op, SendOp) and op.client_id is not None:
            stored = find_by_client_id(session, op.author, op.client_id)
            if stored is not None:
                return Applied([stored])
        raise


def find_by_client_id(session: Session, author: SessionUser, client_id: str) -> Sent | None:
    """The message this author already stored under client_id, as its ack."""
    found = _stored_by_client_ids(session, {(author.id, client_id)})
    return found.get((author.id, client_id))


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
    )  # fmt: skip


def _apply(session: Session, ops: list[Op], count_limits: bool) -> Applied:
    outcomes: list[Outcome | None] = [None] * len(ops)
    sends = [(i, op) for i, op in enumerate(ops) if isinstance(op, SendOp)]
    votes = [(i, op) for i, op in enumerate(ops) if isinstance(op, VoteOp)]

    # What exists: rooms by slug, messages already stored under these client ids, vote targets.
    slugs = {op.room for _, op in sends if SLUG_RE.match(op.room)}
    room_ids: dict[str, int] = {}
    if slugs:
        room_ids = {
            slug: room_id for slug, room_id in session.execute(select(Room.slug, Room.id).where(Room.slug.in_(slugs)))
        }
    stored = _stored_by_client_ids(session, {(op.author.id, op.client_id) for _, op in sends if op.client_id})
    target_ids = {op.message_id for _, op in votes if op.message_id <= MAX_ID}
    targets: dict[int, tuple[int, str]] = {}
    if target_ids:
        rows = session.execute(
            select(Message.id, Message.room_id, Room.slug)
            .join(Room, Room.id == Message.room_id)
            .where(Message.id.in_(target_ids))
        )
        targets = {message_id: (room_id, slug) for message_id, room_id, slug in rows}

    # Which ops make changes, and in which rooms.
    new_sends: list[tuple[int, SendOp]] = []
    first_in_batch: dict[tuple[int, str], int] = {}
    duplicates: dict[int, int] = {}
    for i, op in sends:
        key = (op.author.id, op.client_id) if op.client_id else None
        if op.room not in room_ids:
            outcomes[i] = ChatError("not_found", f"no room {op.room!r}", "room")
        elif key is not None and key in stored:
            outcomes[i] = stored[key]
        elif key is not None and key in first_in_batch:
            duplicates[i] = first_in_batch[key]
        else:
            # Only a message that will really be stored counts toward the sender's rate
            # limit: retries of a stored client_id never do.
            try:
                if count_limits:
                    socket_limits.hit_message(op.author.id)
            except ChatError as limited:
                outcomes[i] = limited
                continue
            if key is not None:
                first_in_batch[key] = i
            new_sends.append((i, op))
    voted: dict[int, int] = {}  # message id -> room id, in order of first vote
    for i, vote in votes:
        if vote.message_id not in targets:
            outcomes[i] = ChatError("not_found", f"no message {vote.message_id}", "message_id")
        else:
            voted.setdefault(vote.message_id, targets[vote.message_id][0])

    # Take the sequence numbers: one per new message, one per voted message, room by room
    # (in id order, so two batches never wait on each other's rooms crosswise).
    changes = Counter(room_ids[op.room] for _, op in new_sends) + Counter(voted.values())
    next_seq: dict[int, int] = {}
    for room_id in sorted(changes):
        last = session.execute(
            update(Room).where(Room.id == room_id).values(seq=Room.seq + changes[room_id]).returning(Room.seq)
        ).scalar_one()
        next_seq[room_id] = int(last) - changes[room_id] + 1

    def take(room_id: int) -> int:
        seq = next_seq[room_id]
        next_seq[room_id] = seq + 1
        return seq

    broadcasts: list[tuple[int, str, dict[str, Any]]] = []
    if new_sends:
        created = _insert_messages(session, new_sends, room_ids, take)
        for i, _op in new_sends:
            message = created[i]
            outcomes[i] = Sent(message, created=True)
            broadcasts.append((message["seq"], "data", message))
        for i, first in duplicates.items():
            outcomes[i] = Sent(created[first], created=False)
    if voted:
        vote_seqs = {message_id: take(room_id) for message_id, room_id in voted.items()}
        for i, result in _apply_votes(session, votes, targets, vote_seqs, broadcasts).items():
            outcomes[i] = result

    broadcasts.sort(key=lambda item: item[0])
    assert all(outcome is not None for outcome in outcomes)
    return Applied([o for o in outcomes if o is not None], [(event, payload) for _, event, payload in broadcasts])


def _insert_messages(
    session: Session, new_sends: list[tuple[int, SendOp]], room_ids: dict[str, int], take: Any
) -> dict[int, dict[str, Any]]:
    now: datetime = utcnow()
    rows = [
        {
            "room_id": room_ids[op.room],
            "author_id": op.author.id,
            "body": op.body,
            "client_id": op.client_id,
            "created_at": now,
            "upvotes": 0,
            "downvotes": 0,
            "seq": take(room_ids[op.room]),
        }
        for _, op in new_sends
    ]
    if session.get_bind().dialect.name == "postgresql":
        ids = _insert_postgresql(session, rows)
    else:
        ids = list(session.scalars(insert(Message).returning(Message.id, sort_by_parameter_order=True), rows).all())
    return {
        i: message_dict(
            message_id, op.room, op.body, op.author.id, op.author.username, now, 0, 0, op.client_id, row["seq"], 0
        )
        for (i, op), message_id, row in zip(new_sends, ids, rows, strict=True)
    }


# One statement text whatever the batch size, so psycopg parses it once (a multi-row VALUES
# list is a new statement for every row count). Each row's (room_id, seq) is unique, which
# maps the returned ids back to the rows whatever order RETURNING gives them in.
_INSERT_MESSAGES = text(
    "INSERT INTO messages (room_id, author_id, body, client_id, created_at, upvotes, downvotes, seq) "
    "SELECT r, a, b, c, t, 0, 0, s FROM unnest("
    "CAST(:room_ids AS bigint[]), CAST(:author_ids AS bigint[]), CAST(:bodies AS text[]), "
    "CAST(:client_ids AS varchar[]), CAST(:created AS timestamptz[]), CAST(:seqs AS bigint[])"
    ") AS batch(r, a, b, c, t, s) RETURNING id, room_id, seq"
)


def _insert_postgresql(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    returned = session.execute(
        _INSERT_MESSAGES,
        {
            "room_ids": [row["room_id"] for row in rows],
            "author_ids": [row["author_id"] for row in rows],
            "bodies": [row["body"] for row in rows],
            "client_ids": [row["client_id"] for row in rows],
            "created": [row["created_at"] for row in rows],
            "seqs": [row["seq"] for row in rows],
        },
    ).all()
    by_position = {(room_id, seq): message_id for message_id, room_id, seq in returned}
    return [int(by_position[(row["room_id"], row["seq"])]) for row in rows]


# Core (not ORM) UPDATE, so that a list of parameter sets runs as one executemany.
_VOTES: Table = Vote.__table__  # type: ignore[assignment]
_SWITCH_VOTE = (
    update(_VOTES)
    .where(_VOTES.c.user_id == bindparam("u"), _VOTES.c.message_id == bindparam("m"))
    .values(value=bindparam("v"))
)


def _apply_votes(
    session: Session,
    votes: list[tuple[int, VoteOp]],
    targets: dict[int, tuple[int, str]],
    vote_seqs: dict[int, int],
    broadcasts: list[tuple[int, str, dict[str, Any]]],
) -> dict[int, VoteResult]:
    valid = [(i, op) for i, op in votes if op.message_id in vote_seqs]
    pairs = {(op.voter.id, op.message_id) for _, op in valid}
    # Read after the room locks were taken: no other writer can change these rows now.
    before = {
        (user_id, message_id): value
        for user_id, message_id, value in session.execute(
            select(Vote.user_id, Vote.message_id, Vote.value).where(
                tuple_(Vote.user_id, Vote.message_id).in_(sorted(pairs))
            )
        )
    }
    current: dict[tuple[int, int], int | None] = dict(before)
    running: dict[int, list[int]] = {m: [0, 0] for m in vote_seqs}  # up/down change so far
    after_op: dict[int, tuple[int, int, int, int]] = {}  # op -> (message, up so far, down so far, my vote)
    for i, op in valid:
        key = (op.voter.id, op.message_id)
        previous = current.get(key)
        new = None if previous == op.value else op.value
        current[key] = new
        delta = running[op.message_id]
        delta[0] += (new == 1) - (previous == 1)
        delta[1] += (new == -1) - (previous == -1)
        after_op[i] = (op.message_id, delta[0], delta[1], new or 0)

    inserts = [
        {"user_id": u, "message_id": m, "value": v} for (u, m), v in current.items() if v and (u, m) not in before
    ]
    changed = [{"u": u, "m": m, "v": v} for (u, m), v in current.items() if v and before.get((u, m)) not in (None, v)]
    removed = [(u, m) for (u, m), v in current.items() if v is None and (u, m) in before]
    # Statements whose text does not depend on the batch: compiled once and cached.
    if inserts:
        session.execute(insert(Vote), inserts)
    if changed:
        session.execute(_SWITCH_VOTE, changed)
    if removed:
        session.execute(delete(Vote).where(tuple_(Vote.user_id, Vote.message_id).in_(removed)))

    final: dict[int, tuple[int, int]] = {}
    for message_id, seq in vote_seqs.items():
        up, down = running[message_id]
        row = session.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(upvotes=Message.upvotes + up, downvotes=Message.downvotes + down, seq=seq)
            .returning(Message.upvotes, Message.downvotes)
        ).one()
        final[message_id] = (int(row[0]), int(row[1]))
        broadcasts.append((seq, "vote", _totals(message_id, targets[message_id][1], *final[message_id], seq)))

    results: dict[int, VoteResult] = {}
    for i, (message_id, up_so_far, down_so_far, mine) in after_op.items():
        # Totals as they stood right after this op: the final ones minus what later ops added.
        total_up, total_down = running[message_id]
        up = final[message_id][0] - (total_up - up_so_far)
        down = final[message_id][1] - (total_down - down_so_far)
        totals = _totals(message_id, targets[message_id][1], up, down, vote_seqs[message_id])
        results[i] = VoteResult(totals, mine)
    return results


def _totals(message_id: int, slug: str, up: int, down: int, seq: int) -> dict[str, Any]:
    return {"message_id": message_id, "room": slug, "upvotes": up, "downvotes": down, "score": up - down, "seq": seq}
