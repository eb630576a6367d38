"""Planning a batch: each op settled from the ops and the current rows, with no database."""

from __future__ import annotations

from chatroom.errors import ChatError
from chatroom.services.accounts import SessionUser
from chatroom.services.batch_plan import CurrentRows, SendOp, Sent, VoteOp, fold_votes, plan_batch

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
    assert results[3].totals == {
        "message_id": 501,
        "room": "other",
        "upvotes": 4,
        "downvotes": 2,
        "score": 2,
        "seq": 9,
        "collapsed": False,
    }
