"""The Top view: a room's messages of a time window, ranked by votes (docs/protocol.md, `get_top`).

The rank is `messages.wilson_lb` (chatroom/ranking.py), stored with the totals, so a page is
read in rank order from an index and never ranks a room in Python or sorts all of it.

`all` walks `(room_id, wilson_lb DESC, id)` from the top: offset + limit entries.

A window (last hour, day, week) is the same ranking restricted to the messages created since
a moment. Walking the rank index and skipping what is older can read the whole room when the
best-ranked messages are old, which is the common case (old messages had time to gather
votes), so a window page is put together from two parts of the ranking:

1. The messages with at least one upvote (bound above 0), in rank order. The rank index is
   walked for a bounded number of entries; when those hold enough messages of the window,
   they are the answer. Otherwise the room's best messages are older than the window, and
   the window's own voted messages are read (a partial index of voted messages by creation
   time) and sorted: the cost is then the window's voted messages, never its silent ones.
2. Then the messages without an upvote (bound exactly 0), in id order: the rank index from
   `(room, 0, first id of the window)`, reading only entries of the window.

Part 2 finds the window's first id as the id of its earliest message. Within a room, ids
follow creation times: a room's writes are serialised by its row lock and each batch takes
its time once it holds that lock (services/batch_apply.py). That holds across processes as
long as their clocks agree, which presence needs too (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatroom.errors import ChatError
from chatroom.models import Message, utcnow
from chatroom.schemas import MAX_PAGE_SIZE, MAX_TOP_OFFSET, PAGE_SIZE
from chatroom.services.messages import with_my_vote, within_page_bytes
from chatroom.services.rooms import get_room
from chatroom.wire import message_view

__all__ = ["WINDOWS", "TopPage", "load_top"]

# How far back each window reaches from the moment of the request; `all` has no bound.
WINDOWS: dict[str, timedelta | None] = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "all": None,
}
# Part 1 walks at most this many rank-index entries per message it needs, plus WALK_EXTRA,
# before ranking the window's own voted messages instead.
WALK_FACTOR = 8
WALK_EXTRA = 500


@dataclass(frozen=True)
class TopPage:
    window: str
    messages: list[dict[str, Any]]
    has_more: bool


def load_top(
    session: Session,
    reader_id: int,
    room_slug: str,
    window: str = "day",
    limit: int = PAGE_SIZE,
    offset: int = 0,
    now: datetime | None = None,
) -> TopPage:
    """A page of the room's ranking for `window`: best first, with the reader's own votes.

    `limit` above MAX_PAGE_SIZE is served as MAX_PAGE_SIZE; below 1 is `invalid`, as are an
    unknown window and an offset outside 0..MAX_TOP_OFFSET. A page also stops before its
    bodies pass the history pages' size bound (`has_more` is then true). `now` is the
    moment the window ends (the current time when omitted).
    """
    if window not in WINDOWS:
        raise ChatError("invalid", f"window: one of {', '.join(WINDOWS)}", "window")
    if limit < 1:
        raise ChatError("invalid", "limit: at least 1", "limit")
    if not 0 <= offset <= MAX_TOP_OFFSET:
        raise ChatError("invalid", f"offset: from 0 to {MAX_TOP_OFFSET}", "offset")
    limit = min(limit, MAX_PAGE_SIZE)
    room = get_room(session, room_slug)
    span = WINDOWS[window]
    if span is None:
        ids = _ranked_ids(session, room.id, offset, limit + 1)
    else:
        ids = _window_ids(session, room.id, (now or utcnow()) - span, offset, limit + 1)
    has_more = len(ids) > limit
    ids = ids[:limit]
    found = {row.id: row for row in session.execute(with_my_vote(reader_id).where(Message.id.in_(ids))).all()}
    rows = [found[message_id] for message_id in ids if message_id in found]
    kept = within_page_bytes(rows)
    has_more = has_more or kept < len(rows)
    return TopPage(window, [message_view(row, room.slug) for row in rows[:kept]], has_more)


def _ranked_ids(session: Session, room_id: int, offset: int, count: int) -> list[int]:
    """The whole room's ranking, from `offset`: a walk of the rank index."""
    # A range on room_id and room_id in the order, as in messages.page_query: only the room's
    # indexes can serve it, whatever the planner believes about the room's size.
    query = (
        select(Message.id)
        .where(Message.room_id.between(room_id, room_id))
        .order_by(Message.room_id, Message.wilson_lb.desc(), Message.id)
        .offset(offset)
        .limit(count)
    )
    return list(session.scalars(query).all())


def _window_ids(session: Session, room_id: int, since: datetime, offset: int, count: int) -> list[int]:
    """The ranking of the messages created at or after `since`, from `offset` (module docstring)."""
    need = offset + count
    voted = _voted_in_window(session, room_id, since, need)
    if len(voted) >= need:
        return voted[offset:need]
    first = session.scalar(
        select(Message.id)
        .where(Message.room_id == room_id, Message.created_at >= since)
        .order_by(Message.created_at, Message.id)
        .limit(1)
    )
    if first is None:
        return voted[offset:]
    skip = max(0, offset - len(voted))
    unvoted = session.scalars(
        select(Message.id)
        .where(
            Message.room_id.between(room_id, room_id),
            Message.wilson_lb == 0,
            Message.id >= first,
            Message.created_at >= since,
        )
        .order_by(Message.room_id, Message.id)
        .offset(skip)
        .limit(need - len(voted) - skip)
    ).all()
    return voted[offset:] + list(unvoted)


def _voted_in_window(session: Session, room_id: int, since: datetime, need: int) -> list[int]:
    """The first `need` messages of the window with a bound above 0, in rank order (part 1)."""
    budget = need * WALK_FACTOR + WALK_EXTRA
    walk = (
        select(Message.id, Message.wilson_lb, Message.created_at)
        .where(Message.room_id == room_id, Message.wilson_lb > 0)
        .order_by(Message.wilson_lb.desc(), Message.id)
        .limit(budget)
        .subquery()
    )
    walked = session.execute(
        select(walk.c.id, walk.c.created_at >= since).order_by(walk.c.wilson_lb.desc(), walk.c.id)
    ).all()
    inside = [int(message_id) for message_id, is_inside in walked if is_inside]
    if len(inside) >= need or len(walked) < budget:
        # Enough of the window, or every voted message of the room was seen.
        return inside[:need]
    # The room's best messages are mostly older than the window. `+ 0` keeps the rank index
    # from serving the order, since walking it is what just failed: the planner then reads
    # the window's voted messages (ix_messages_room_id_created_at_voted) and sorts those.
    return list(
        session.scalars(
            select(Message.id)
            .where(Message.room_id == room_id, Message.created_at >= since, Message.wilson_lb > 0)
            .order_by((Message.wilson_lb + 0).desc(), Message.id)
            .limit(need)
        ).all()
    )
