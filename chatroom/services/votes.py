"""Up- and downvotes, with exact totals under concurrency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from chatroom import events
from chatroom.errors import ChatError
from chatroom.models import Message, Room, Vote
from chatroom.schemas import MAX_ID
from chatroom.services.accounts import SessionUser
from chatroom.services.rooms import next_seq


@dataclass(frozen=True)
class VoteResult:
    totals: dict[str, Any]
    my_vote: int

    def ack(self) -> dict[str, Any]:
        body = {key: value for key, value in self.totals.items() if key != "room"}
        return {"ok": True, **body, "my_vote": self.my_vote}


def cast_vote(session: Session, voter: SessionUser, message_id: int, value: int) -> VoteResult:
    """Apply an upvote (1) or downvote (-1): the same vote again removes it, the other switches.

    Runs under the room's timeline lock (next_seq), so concurrent votes on one message are
    serialised and the stored totals always equal the votes table.
    """
    if value not in (1, -1):
        raise ValueError("a vote is 1 or -1")
    target = None
    if message_id <= MAX_ID:
        target = session.execute(
            select(Message.room_id, Room.slug).join(Room, Room.id == Message.room_id).where(Message.id == message_id)
        ).first()
    if target is None:
        raise ChatError("not_found", f"no message {message_id}", "message_id")
    room_id, slug = target
    seq = next_seq(session, room_id)
    previous = session.scalar(select(Vote.value).where(Vote.user_id == voter.id, Vote.message_id == message_id))
    up = down = 0
    if previous == value:
        session.execute(delete(Vote).where(Vote.user_id == voter.id, Vote.message_id == message_id))
        mine = 0
    elif previous is None:
        session.execute(insert(Vote).values(user_id=voter.id, message_id=message_id, value=value))
        mine = value
    else:
        session.execute(update(Vote).where(Vote.user_id == voter.id, Vote.message_id == message_id).values(value=value))
        mine = value
    for vote, sign in ((previous, -1), (mine, 1)):
        if vote == 1:
            up += sign
        elif vote == -1:
            down += sign
    upvotes, downvotes = session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(upvotes=Message.upvotes + up, downvotes=Message.downvotes + down, seq=seq)
        .returning(Message.upvotes, Message.downvotes)
    ).one()
    session.commit()
    totals = {
        "message_id": message_id,
        "room": slug,
        "upvotes": upvotes,
        "downvotes": downvotes,
        "score": upvotes - downvotes,
        "seq": seq,
    }
    events.vote_changed(totals)
    return VoteResult(totals, mine)
