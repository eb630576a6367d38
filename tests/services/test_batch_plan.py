"""Planning a batch: each op settled from the ops and the current rows, with no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chatroom.errors import ChatError
from chatroom.services.accounts import SessionUser
from chatroom.services.batch_plan import (
    CurrentRows,
    DeleteOp,
    EditOp,
    SendOp,
    Sent,
    Target,
    VoteOp,
    fold_votes,
    plan_batch,
)

ALICE = SessionUser(1, "alice", "alice@example.com", "token-a")
BOB = SessionUser(2, "bob", "bob@example.com", "token-b")
GENERAL, OTHER = 10, 11
STORED = Sent({"id": 500, "body": "stored earlier"}, created=False)
ROWS = CurrentRows(
    room_ids={"general": GENERAL, "other": OTHER},
    stored={(ALICE.id, "old"): STORED},
    vote_targets={500: (GENERAL, "general"), 501: (OTHER, "other")},
)


def test_each_op_is_settled_or_becomes_a_change() -> None:
    plan = plan_batch(
        [
            SendOp(ALICE, "nowhere", "x", None),  # 0: no such room
            SendOp(ALICE, "general", "again", "old"),  # 1: a retry of a stored message
            SendOp(ALICE, "general", "new", "c-1"),  # 2: stored now
            SendOp(ALICE, "general", "new (retry)", "c-1"),  # 3: the same client_id again
            VoteOp(BOB, 999, 1),  # 4: no such message
            SendOp(BOB, "other", "hi", None),  # 5: stored now
            VoteOp(BOB, 500, 1),  # 6
        ],
        ROWS,
        {},
    )
    assert isinstance(plan.settled[0], ChatError) and plan.settled[0].code == "not_found"
    assert plan.settled[1] is STORED
    assert isinstance(plan.settled[4], ChatError) and plan.settled[4].field == "message_id"
    assert [(send.index, send.room_id) for send in plan.new_sends] == [(2, GENERAL), (5, OTHER)]
    assert plan.repeats == {3: 2}
    assert [i for i, _ in plan.votes] == [6]
    assert plan.stored_by_author == {ALICE.id: 1, BOB.id: 1}


def test_sequence_numbers_go_to_new_messages_first_then_to_each_voted_message_once() -> None:
    plan = plan_batch(
        [VoteOp(BOB, 501, 1), SendOp(ALICE, "general", "a", None), VoteOp(ALICE, 500, -1), VoteOp(BOB, 500, 1)],
        ROWS,
        {},
    )
    assert plan.seq_counts() == {GENERAL: 2, OTHER: 1}
    send_seqs, vote_seqs = plan.number({GENERAL: 40, OTHER: 7})
    assert send_seqs == [40]
    assert vote_seqs == {501: 7, 500: 41}


def test_only_messages_really_stored_spend_the_budget() -> None:
    ops = [
        SendOp(ALICE, "general", "retry", "old"),  # a retry: free
        SendOp(ALICE, "general", "one", "c-1"),
        SendOp(ALICE, "general", "one again", "c-1"),  # its repeat: free
        SendOp(ALICE, "general", "two", None),
        SendOp(ALICE, "general", "three", None),  # over the budget
        SendOp(BOB, "general", "unlimited", None),  # not in the budgets: no limit
    ]
    plan = plan_batch(ops, ROWS, {ALICE.id: 2})
    assert [send.index for send in plan.new_sends] == [1, 3, 5]
    assert plan.settled[0] is STORED and plan.repeats == {2: 1}
    refused = plan.settled[4]
    assert isinstance(refused, ChatError) and refused.code == "rate_limited"
    assert plan.stored_by_author == {ALICE.id: 2, BOB.id: 1}


def test_votes_fold_in_order_into_rows_and_per_voter_totals() -> None:
    votes = [
        (0, VoteOp(BOB, 500, 1)),  # bob had no vote: insert
        (1, VoteOp(ALICE, 500, 1)),  # alice had -1: switch
        (2, VoteOp(BOB, 500, 1)),  # bob again: removed, so no row at all
        (3, VoteOp(ALICE, 501, 1)),  # alice had +1 on 501: removed
    ]
    fold = fold_votes(votes, {(ALICE.id, 500): -1, (ALICE.id, 501): 1})
    assert fold.inserts == []
    assert fold.switches == [(ALICE.id, 500, 1)]
    assert fold.removals == [(ALICE.id, 501)]
    assert fold.deltas == {500: (1, -1), 501: (-1, 0)}
    # Stored totals after the batch: 500 has 3 up, 0 down; 501 has 4 up, 2 down.
    results = fold.results({500: (3, 0), 501: (4, 2)}, ROWS.vote_targets, {500: 8, 501: 9})
    assert [(r.totals["upvotes"], r.totals["downvotes"], r.my_vote) for r in results.values()] == [
        (3, 1, 1),  # after bob's upvote: 2 up before, +1; alice's downvote still there
        (4, 0, 1),  # after alice switched
        (3, 0, 0),  # after bob took his back
        (4, 2, 0),
    ]
    assert results[3].totals == {"message_id": 501, "room": "other", "upvotes": 4, "downvotes": 2, "score": 2, "seq": 9}


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MOD = SessionUser(3, "mod", "mod@example.com", "token-m")
# 500 is alice's, sent a minute ago; 501 is bob's, sent an hour ago; 502 is alice's, deleted.
CHANGE_ROWS = CurrentRows(
    room_ids={"general": GENERAL, "other": OTHER},
    stored={},
    vote_targets={500: (GENERAL, "general"), 501: (OTHER, "other"), 502: (GENERAL, "general")},
    targets={
        500: Target(GENERAL, "general", ALICE.id, NOW - timedelta(minutes=1), deleted=False),
        501: Target(OTHER, "other", BOB.id, NOW - timedelta(hours=1), deleted=False),
        502: Target(GENERAL, "general", ALICE.id, NOW - timedelta(minutes=1), deleted=True),
    },
    roles={ALICE.id: "member", BOB.id: "member", MOD.id: "moderator"},
    mutes={(BOB.id, GENERAL): NOW + timedelta(minutes=5), (ALICE.id, GENERAL): NOW - timedelta(seconds=1)},
    now=NOW,
)


def codes(plan_settled: dict[int, object]) -> dict[int, str]:
    return {i: getattr(outcome, "code", "?") for i, outcome in plan_settled.items()}


def test_edits_and_deletes_are_settled_in_batch_order() -> None:
    plan = plan_batch(
        [
            EditOp(ALICE, 500, "fixed", 900),  # 0: a change
            EditOp(BOB, 500, "not his", 900),  # 1: forbidden
            EditOp(BOB, 501, "too late", 900),  # 2: forbidden, the window is over
            EditOp(ALICE, 502, "deleted", 900),  # 3: forbidden, deleted before
            DeleteOp(MOD, 500, "spam"),  # 4: a logged change
            VoteOp(BOB, 500, 1),  # 5: forbidden, deleted earlier in the batch
            EditOp(ALICE, 500, "again", 900),  # 6: forbidden, likewise
            DeleteOp(ALICE, 500, None),  # 7: the same tombstone
            DeleteOp(ALICE, 502, None),  # 8: the same tombstone, from before
            DeleteOp(BOB, 500, "mine?"),  # 9: forbidden
            DeleteOp(MOD, 501, "  "),  # 10: invalid, no reason
            DeleteOp(BOB, 501, None),  # 11: his own: a change, not logged
            EditOp(ALICE, 999, "x", 900),  # 12: not_found
        ],
        CHANGE_ROWS,
        {},
    )
    assert codes(plan.settled) == {
        1: "forbidden", 2: "forbidden", 3: "forbidden", 5: "forbidden", 6: "forbidden",
        9: "forbidden", 10: "invalid", 12: "not_found",
    }  # fmt: skip
    assert [(c.index, c.logged, c.reason) for c in plan.changes] == [(0, False, ""), (4, True, "spam"), (11, False, "")]
    assert plan.current == {7: 500, 8: 502}
    assert plan.seq_counts() == {GENERAL: 2, OTHER: 1}
    # Each edit or delete takes a number of its own, after the batch's messages and votes.
    assert plan.number_all({GENERAL: 10, OTHER: 20}) == ([], {}, [10, 11, 20])


def test_a_vote_before_a_delete_in_the_same_batch_counts() -> None:
    plan = plan_batch([VoteOp(BOB, 500, 1), DeleteOp(ALICE, 500, None)], CHANGE_ROWS, {})
    assert plan.settled == {}
    _, vote_seqs, change_seqs = plan.number_all({GENERAL: 5})
    assert (vote_seqs, change_seqs) == ({500: 5}, [6])


def test_a_muted_author_cannot_send_there_until_the_mute_ends() -> None:
    plan = plan_batch(
        [
            SendOp(BOB, "general", "muted here", None),
            SendOp(BOB, "other", "fine elsewhere", None),
            SendOp(ALICE, "general", "her mute is over", None),
        ],
        CHANGE_ROWS,
        {},
    )
    refused = plan.settled[0]
    assert isinstance(refused, ChatError) and refused.code == "muted"
    assert "2026-12-01T12:05:00Z" in refused.message
    assert [send.index for send in plan.new_sends] == [1, 2]
