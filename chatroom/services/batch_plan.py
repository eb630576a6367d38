"""Planning a batch of sends, votes, edits and deletes: what each op changes, decided without
a database.

`plan_batch` takes the ops and what the database holds for them (`CurrentRows`) and settles
each op: an error, the stored message of a retried client_id, or a change that takes the
next number of its room's sequence. `fold_votes` folds the votes on each message, given the
votes as they stood, into the rows to write and the totals each voter is answered with.
`batch_apply` reads the rows, runs the SQL these plans describe and commits.

Within a batch, several votes on one message are one change: they take one number and lead
to one broadcast carrying the absolute totals after the last of them, while every voter
still gets an ack with the totals right after their own vote. Every edit and every delete is
a change of its own (one number, one `update` broadcast), settled in batch order: a delete
earlier in the batch refuses later edits and votes of that message as if it had committed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chatroom.errors import ChatError
from chatroom.schemas import REASON_MAX_CHARS
from chatroom.services.accounts import SessionUser


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


@dataclass(frozen=True)
class EditOp:
    """A new body for the editor's own message. The body is already trimmed and within limits."""

    editor: SessionUser
    message_id: int
    body: str
    window_seconds: int  # CHATROOM_EDIT_WINDOW


@dataclass(frozen=True)
class DeleteOp:
    actor: SessionUser
    message_id: int
    reason: str | None


Op = SendOp | VoteOp | EditOp | DeleteOp

MODERATOR_ROLES = frozenset({"moderator", "admin"})


@dataclass(frozen=True)
class Target:
    """A message as edits, deletes and votes see it."""

    room_id: int
    slug: str
    author_id: int
    created_at: datetime
    deleted: bool


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


@dataclass(frozen=True)
class CurrentRows:
    """What the database holds for a batch, read before planning."""

    room_ids: Mapping[str, int]  # by slug, for the rooms the batch sends to
    stored: Mapping[tuple[int, str], Sent]  # by (author id, client_id): messages stored before
    vote_targets: Mapping[int, tuple[int, str]]  # by message id: its room's id and slug
    targets: Mapping[int, Target] = field(default_factory=dict)  # by message id: edited, deleted, voted
    roles: Mapping[int, str] = field(default_factory=dict)  # by user id: the acting people's roles
    mutes: Mapping[tuple[int, int], datetime] = field(default_factory=dict)  # (user, room id) -> until
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class NewSend:
    index: int  # the op's position in the batch
    op: SendOp
    room_id: int


@dataclass(frozen=True)
class Change:
    """An edit or a delete to apply; `logged` when a moderator deletes someone else's message."""

    index: int
    op: EditOp | DeleteOp
    room_id: int
    slug: str
    author_id: int
    logged: bool = False
    reason: str = ""


@dataclass
class Plan:
    """What a batch changes. Ops are referred to by their position in the batch."""

    settled: dict[int, Outcome] = field(default_factory=dict)  # answered without a change
    new_sends: list[NewSend] = field(default_factory=list)  # messages to store, in batch order
    repeats: dict[int, int] = field(default_factory=dict)  # a client_id again: index of its first op
    votes: list[tuple[int, VoteOp]] = field(default_factory=list)  # votes on existing messages
    voted: dict[int, tuple[int, str]] = field(default_factory=dict)  # message id -> room id, slug
    stored_by_author: Counter[int] = field(default_factory=Counter)  # new messages per author
    changes: list[Change] = field(default_factory=list)  # edits and deletes, in batch order
    # Deletes answered with the message as it is after the commit (already a tombstone): by op index.
    current: dict[int, int] = field(default_factory=dict)

    def seq_counts(self) -> dict[int, int]:
        """How many sequence numbers each room gives: one per new message, one per voted
        message, one per edit or delete."""
        counts = Counter(send.room_id for send in self.new_sends)
        counts.update(room_id for room_id, _slug in self.voted.values())
        counts.update(change.room_id for change in self.changes)
        return dict(counts)

    def number(self, first_seqs: Mapping[int, int]) -> tuple[list[int], dict[int, int]]:
        """The seq of each new message (in order) and of each voted message (number_all)."""
        send_seqs, vote_seqs, _ = self.number_all(first_seqs)
        return send_seqs, vote_seqs

    def number_all(self, first_seqs: Mapping[int, int]) -> tuple[list[int], dict[int, int], list[int]]:
        """The seq of each new message (in order), of each voted message, and of each change.

        `first_seqs` is the first number each room handed out; new messages take theirs
        first, in batch order, then the voted messages in order of their first vote, then the
        edits and deletes in batch order (so a message's latest change is its last number).
        """
        next_seq = dict(first_seqs)

        def take(room_id: int) -> int:
            seq = next_seq[room_id]
            next_seq[room_id] = seq + 1
            return seq

        send_seqs = [take(send.room_id) for send in self.new_sends]
        vote_seqs = {message_id: take(room_id) for message_id, (room_id, _slug) in self.voted.items()}
        change_seqs = [take(change.room_id) for change in self.changes]
        return send_seqs, vote_seqs, change_seqs


def plan_batch(ops: list[Op], rows: CurrentRows, budgets: Mapping[int, int]) -> Plan:
    """Settle each op of a batch against the current rows.

    `budgets` holds how many more messages each author may send now (the rate limit; an
    author not in it is not limited). Only a message that will really be stored spends
    budget: a retry of a stored client_id, or its repeat within the batch, never does.
    """
    plan = Plan()
    left = dict(budgets)
    first_in_batch: dict[tuple[int, str], int] = {}
    deleted = {message_id for message_id, target in rows.targets.items() if target.deleted}
    for i, op in enumerate(ops):
        if isinstance(op, VoteOp):
            target = rows.vote_targets.get(op.message_id)
            if target is None:
                plan.settled[i] = ChatError("not_found", f"no message {op.message_id}", "message_id")
            elif op.message_id in deleted:
                plan.settled[i] = ChatError("forbidden", f"message {op.message_id} was deleted", "message_id")
            else:
                plan.votes.append((i, op))
                plan.voted.setdefault(op.message_id, target)
            continue
        if isinstance(op, EditOp | DeleteOp):
            _plan_change(plan, i, op, rows, deleted)
            continue
        key = (op.author.id, op.client_id) if op.client_id else None
        room_id = rows.room_ids.get(op.room)
        if room_id is None:
            plan.settled[i] = ChatError("not_found", f"no room {op.room!r}", "room")
        elif key is not None and key in rows.stored:
            plan.settled[i] = rows.stored[key]
        elif key is not None and key in first_in_batch:
            plan.repeats[i] = first_in_batch[key]
        elif (until := rows.mutes.get((op.author.id, room_id))) is not None and _aware(until) > rows.now:
            plan.settled[i] = ChatError("muted", f"you are muted in {op.room} until {_iso(until)}", "room")
        elif left.get(op.author.id, 1) <= 0:
            plan.settled[i] = ChatError("rate_limited", "too many messages; wait a few seconds")
        else:
            if op.author.id in left:
                left[op.author.id] -= 1
            if key is not None:
                first_in_batch[key] = i
            plan.new_sends.append(NewSend(i, op, room_id))
            plan.stored_by_author[op.author.id] += 1
    return plan


def _plan_change(plan: Plan, i: int, op: EditOp | DeleteOp, rows: CurrentRows, deleted: set[int]) -> None:
    """Settle an edit or a delete, or add it to the plan's changes (and to `deleted`)."""
    target = rows.targets.get(op.message_id)
    if target is None:
        plan.settled[i] = ChatError("not_found", f"no message {op.message_id}", "message_id")
        return
    if isinstance(op, EditOp):
        if op.editor.id != target.author_id:
            plan.settled[i] = ChatError("forbidden", "only the author may edit a message", "message_id")
        elif op.message_id in deleted:
            plan.settled[i] = ChatError("forbidden", "a deleted message cannot be edited", "message_id")
        elif rows.now - _aware(target.created_at) > timedelta(seconds=op.window_seconds):
            plan.settled[i] = ChatError("forbidden", "the time to edit this message is over", "message_id")
        else:
            plan.changes.append(Change(i, op, target.room_id, target.slug, target.author_id))
        return
    logged = False
    reason = (op.reason or "").strip()
    if op.actor.id != target.author_id:
        if rows.roles.get(op.actor.id) not in MODERATOR_ROLES:
            plan.settled[i] = ChatError(
                "forbidden", "only the author or a moderator may delete a message", "message_id"
            )
            return
        if not 1 <= len(reason) <= REASON_MAX_CHARS:
            plan.settled[i] = ChatError("invalid", f"reason: must be 1-{REASON_MAX_CHARS} characters", "reason")
            return
        logged = True
    if op.message_id in deleted:
        # Deleting twice answers the same tombstone and changes nothing.
        plan.current[i] = op.message_id
        return
    deleted.add(op.message_id)
    plan.changes.append(Change(i, op, target.room_id, target.slug, target.author_id, logged, reason))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return _aware(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class VoteFold:
    """The vote rows to write for a batch's votes, and what each voter is answered."""

    inserts: list[tuple[int, int, int]] = field(default_factory=list)  # (user, message, value)
    switches: list[tuple[int, int, int]] = field(default_factory=list)  # (user, message, new value)
    removals: list[tuple[int, int]] = field(default_factory=list)  # (user, message)
    deltas: dict[int, tuple[int, int]] = field(default_factory=dict)  # message -> (up, down) change
    # op index -> (message, up change so far, down change so far, the voter's vote after it)
    after_op: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)

    def results(
        self, final: Mapping[int, tuple[int, int]], voted: Mapping[int, tuple[int, str]], seqs: Mapping[int, int]
    ) -> dict[int, VoteResult]:
        """Each vote's answer, given each message's (up, down) totals after the whole batch."""
        results: dict[int, VoteResult] = {}
        for i, (message_id, up_so_far, down_so_far, mine) in self.after_op.items():
            # Totals as they stood right after this op: the final ones minus what later ops added.
            total_up, total_down = self.deltas[message_id]
            up = final[message_id][0] - (total_up - up_so_far)
            down = final[message_id][1] - (total_down - down_so_far)
            results[i] = VoteResult(totals(message_id, voted[message_id][1], up, down, seqs[message_id]), mine)
        return results


def fold_votes(votes: list[tuple[int, VoteOp]], before: Mapping[tuple[int, int], int]) -> VoteFold:
    """Fold votes in batch order onto `before`, the (user, message) votes as stored.

    The same vote again removes it and the other value switches it, as if the ops had run
    one by one.
    """
    fold = VoteFold()
    current: dict[tuple[int, int], int | None] = dict(before)
    running: dict[int, list[int]] = {}
    for i, op in votes:
        key = (op.voter.id, op.message_id)
        previous = current.get(key)
        new = None if previous == op.value else op.value
        current[key] = new
        delta = running.setdefault(op.message_id, [0, 0])
        delta[0] += (new == 1) - (previous == 1)
        delta[1] += (new == -1) - (previous == -1)
        fold.after_op[i] = (op.message_id, delta[0], delta[1], new or 0)
    fold.deltas = {message_id: (up, down) for message_id, (up, down) in running.items()}
    for (user_id, message_id), value in current.items():
        stored = before.get((user_id, message_id))
        if value is None:
            if stored is not None:
                fold.removals.append((user_id, message_id))
        elif stored is None:
            fold.inserts.append((user_id, message_id, value))
        elif stored != value:
            fold.switches.append((user_id, message_id, value))
    return fold


def totals(message_id: int, slug: str, up: int, down: int, seq: int) -> dict[str, Any]:
    """A message's vote totals as broadcast and acked."""
    return {"message_id": message_id, "room": slug, "upvotes": up, "downvotes": down, "score": up - down, "seq": seq}
