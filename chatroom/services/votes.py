"""Up- and downvotes, with exact totals under concurrency."""

from __future__ import annotations

from chatroom.services import batch_apply
from chatroom.services.accounts import Caller
from chatroom.services.batch_apply import VoteResult
from chatroom.services.writer import GroupWriter

__all__ = ["VoteResult", "cast_vote"]


def cast_vote(writer: GroupWriter, voter: Caller, message_id: int, value: int) -> VoteResult:
    """Apply an upvote (1) or downvote (-1): the same vote again removes it, the other switches.

    Runs under the room's timeline lock, so concurrent votes on one message are serialised
    and the stored totals always equal the votes table.
    """
    if value not in (1, -1):
        raise ValueError("a vote is 1 or -1")
    outcome = writer.run(batch_apply.VoteOp(voter, message_id, value))
    assert isinstance(outcome, VoteResult)
    return outcome
