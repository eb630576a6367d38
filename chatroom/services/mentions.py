"""@mentions as people read them: the reader's mentions across rooms, and the people an @
can name (the composer's suggestions).

Names are resolved when a body is written (services.mention_names, from batch_apply) and
stored with the message; `message_mentions` lists the people named, the author excepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from chatroom.models import Message, MessageMention, Room, User
from chatroom.schemas import (
    MAX_ID,
    MAX_PAGE_SIZE,
    MAX_USER_LOOKUP_SIZE,
    PAGE_SIZE,
    USER_LOOKUP_SIZE,
)
from chatroom.services.messages import with_my_vote, within_page_bytes
from chatroom.wire import message_view


@dataclass(frozen=True)
class MentionPage:
    messages: list[dict[str, Any]]
    has_more: bool


def load_mentions(session: Session, reader_id: int, before: int | None, limit: int = PAGE_SIZE) -> MentionPage:
    """Messages that mention the reader in any room, newest first, older than id `before`.

    The reader's own messages are never listed (they are not indexed as mentions), nor
    deleted ones (a delete removes their mentions).
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = (
        with_my_vote(reader_id)
        .add_columns(Room.slug.label("room_slug"))
        .join(MessageMention, and_(MessageMention.message_id == Message.id, MessageMention.user_id == reader_id))
        .join(Room, Room.id == Message.room_id)
        .where(Message.deleted.is_(False))
        .order_by(MessageMention.message_id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(MessageMention.message_id < min(before, MAX_ID))
    rows = list(session.execute(query).all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    kept = within_page_bytes(rows)
    has_more = has_more or kept < len(rows)
    return MentionPage([message_view(row, row.room_slug) for row in rows[:kept]], has_more)


def find_users(session: Session, prefix: str, limit: int = USER_LOOKUP_SIZE) -> list[dict[str, Any]]:
    """People whose username starts with `prefix`, ignoring case, by username (the composer's
    @ suggestions). An empty prefix lists the first ones."""
    limit = max(1, min(limit, MAX_USER_LOOKUP_SIZE))
    query = select(User.id, User.username).order_by(func.lower(User.username), User.username).limit(limit)
    if prefix:
        # `_` is a username character and a LIKE wildcard: escape it (and `%`, `\`).
        pattern = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(User.username).like(pattern, escape="\\"))
    return [{"id": int(user_id), "username": username} for user_id, username in session.execute(query)]
