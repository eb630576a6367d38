"""Rooms: creating and listing them, membership and read positions.

Their timeline counter is advanced by services.batch_apply.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BindParameter, CursorResult, and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatroom.errors import ChatError
from chatroom.models import Message, MessageMention, Mute, Room, RoomMember, utcnow
from chatroom.schemas import ROOM_NAME_MAX_CHARS, ROOM_SLUG_MAX_CHARS, ROOM_TOPIC_MAX_CHARS
from chatroom.wire import RoomRef, iso, mute_view

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
GENERAL = "general"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")

# How many people are online in each room, by slug (chatroom.realtime.presence).
OnlineCounts = Callable[[list[str]], Mapping[str, int]]


@dataclass(frozen=True)
class ReadPosition:
    unread: int
    moved: bool
    mentions: int = 0


def get_room(session: Session, slug: str) -> Room:
    room = session.scalar(select(Room).where(Room.slug == slug)) if SLUG_RE.match(slug) else None
    if room is None:
        raise ChatError("not_found", f"no room {slug!r}", "room")
    return room


def slugify(name: str) -> str:
    """The slug of a room name: accents folded, lowercased, other runs to one `-`, at most 40."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_SLUG.sub("-", folded).strip("-")[:ROOM_SLUG_MAX_CHARS].strip("-")


def create_room(session: Session, creator_id: int, name: str, topic: str | None) -> Room:
    """Create a public room; the creator becomes its member. Raises invalid (name/topic) or taken."""
    name = name.strip()
    if not 1 <= len(name) <= ROOM_NAME_MAX_CHARS:
        raise ChatError("invalid", f"name: must be 1-{ROOM_NAME_MAX_CHARS} characters", "name")
    topic = (topic or "").strip()
    if len(topic) > ROOM_TOPIC_MAX_CHARS:
        raise ChatError("invalid", f"topic: at most {ROOM_TOPIC_MAX_CHARS} characters", "topic")
    slug = slugify(name)
    if not slug:
        raise ChatError("invalid", "name: must contain letters or digits that have an ASCII form", "name")
    if session.scalar(select(Room.id).where(Room.slug == slug)) is not None:
        raise ChatError("taken", f"a room {slug!r} already exists", "name")
    room = Room(slug=slug, name=name, topic=topic, seq=0)
    session.add(room)
    try:
        session.flush()
        session.add(RoomMember(user_id=creator_id, room_id=room.id, last_read_id=0))
        session.commit()
    except IntegrityError:
        # Lost a race with a room of the same slug.
        session.rollback()
        raise ChatError("taken", f"a room {slug!r} already exists", "name") from None
    return room


def add_member(session: Session, user_id: int, slug: str) -> None:
    """Make `user_id` a member of the room (nothing unread yet), without committing."""
    room_id = session.scalar(select(Room.id).where(Room.slug == slug))
    if room_id is None:
        return
    latest = session.scalar(select(func.coalesce(func.max(Message.id), 0)).where(Message.room_id == room_id))
    session.add(RoomMember(user_id=user_id, room_id=room_id, last_read_id=latest or 0))


# Built once, as messages.join_room's statements are.
_USER: BindParameter[Any] = bindparam("user_id")
_ENTER = (
    select(Room.id, Room.slug, Room.name, RoomMember.user_id.label("member"), Mute.until, Mute.reason)
    .outerjoin(RoomMember, and_(RoomMember.room_id == Room.id, RoomMember.user_id == _USER))
    .outerjoin(Mute, and_(Mute.room_id == Room.id, Mute.user_id == _USER))
    .where(Room.slug == bindparam("slug"))
)


@dataclass(frozen=True)
class Entered:
    room: RoomRef
    # The person's mute in the room while it lasts ({"until", "reason"}), else None.
    muted: dict[str, Any] | None


def join(session: Session, user_id: int, slug: str) -> Entered:
    """Make `user_id` a member of the room if they are not yet (committed), with their mute.

    The room, the membership and the mute are one statement: a join by a member, the usual
    case, reads nothing else. Raises not_found for a room that does not exist.
    """
    row = session.execute(_ENTER, {"user_id": user_id, "slug": slug}).one_or_none() if SLUG_RE.match(slug) else None
    if row is None:
        raise ChatError("not_found", f"no room {slug!r}", "room")
    if row.member is None:
        add_member(session, user_id, slug)
        try:
            session.commit()
        except IntegrityError:
            # Another socket of the same person joined at the same moment: they are a member.
            session.rollback()
    return Entered(RoomRef(row.id, row.slug, row.name), mute_view(row.until, row.reason, utcnow()))


def leave(session: Session, user_id: int, slug: str) -> None:
    """End the membership of `user_id` in the room (no error when there was none)."""
    room = get_room(session, slug)
    member = session.get(RoomMember, (user_id, room.id))
    if member is not None:
        session.delete(member)
        session.commit()


def mark_read(session: Session, user_id: int, slug: str, message_id: int) -> ReadPosition:
    """Move the reader's read position up to `message_id` (never back) and count what is left.

    The position is capped at the room's latest message, so an invented id cannot mark
    messages not yet written as read. A reader who is not a member has nothing recorded.
    """
    room = get_room(session, slug)
    latest = session.scalar(select(func.coalesce(func.max(Message.id), 0)).where(Message.room_id == room.id)) or 0
    position = min(message_id, latest)
    # One conditional UPDATE: concurrent reads of one person can only move it forward.
    result = session.execute(
        update(RoomMember)
        .where(RoomMember.user_id == user_id, RoomMember.room_id == room.id, RoomMember.last_read_id < position)
        .values(last_read_id=position)
    )
    moved = cast(CursorResult[Any], result).rowcount
    session.commit()
    return ReadPosition(unread_count(session, user_id, room.id), bool(moved), mention_count(session, user_id, room.id))


def unread_count(session: Session, user_id: int, room_id: int) -> int:
    """Messages in the room by others above the reader's position (0 for a non-member)."""
    counts = _unread_by_room(session, user_id, [room_id])
    return counts.get(room_id, 0)


def _unread_by_room(session: Session, user_id: int, room_ids: list[int]) -> dict[int, int]:
    if not room_ids:
        return {}
    rows = session.execute(
        select(Message.room_id, func.count())
        .join(RoomMember, and_(RoomMember.room_id == Message.room_id, RoomMember.user_id == user_id))
        .where(Message.room_id.in_(room_ids), Message.id > RoomMember.last_read_id, Message.author_id != user_id)
        .group_by(Message.room_id)
    ).all()
    return {room_id: int(count) for room_id, count in rows}


def mention_count(session: Session, user_id: int, room_id: int) -> int:
    """Mentions of the reader in the room above their read position (0 for a non-member)."""
    return _mentions_by_room(session, user_id, [room_id]).get(room_id, 0)


def _mentions_by_room(session: Session, user_id: int, room_ids: list[int]) -> dict[int, int]:
    # message_mentions never holds the author's own name nor a deleted message's names.
    if not room_ids:
        return {}
    rows = session.execute(
        select(MessageMention.room_id, func.count())
        .join(RoomMember, and_(RoomMember.room_id == MessageMention.room_id, RoomMember.user_id == user_id))
        .where(
            MessageMention.user_id == user_id,
            MessageMention.room_id.in_(room_ids),
            MessageMention.message_id > RoomMember.last_read_id,
        )
        .group_by(MessageMention.room_id)
    ).all()
    return {room_id: int(count) for room_id, count in rows}


def room_summary(room: Room, member: bool, unread: int, online: int, mentions: int = 0) -> dict[str, Any]:
    """The room shape R."""
    return {
        "slug": room.slug,
        "name": room.name,
        "topic": room.topic,
        "created_at": iso(room.created_at),
        "member": member,
        "unread": unread,
        "online": online,
        "mentions": mentions,
    }


def list_rooms(session: Session, user_id: int, online: OnlineCounts) -> list[dict[str, Any]]:
    """Every public room as R: the reader's own first, then the others, each by name ignoring case."""
    rooms = list(session.scalars(select(Room)))
    mine = set(session.scalars(select(RoomMember.room_id).where(RoomMember.user_id == user_id)))
    unread = _unread_by_room(session, user_id, sorted(mine))
    mentions = _mentions_by_room(session, user_id, sorted(mine))
    counts = online([room.slug for room in rooms])
    rooms.sort(key=lambda room: (room.id not in mine, room.name.casefold(), room.slug))
    return [
        room_summary(r, r.id in mine, unread.get(r.id, 0), counts.get(r.slug, 0), mentions.get(r.id, 0)) for r in rooms
    ]


def describe_room(session: Session, user_id: int, slug: str, online: OnlineCounts) -> dict[str, Any]:
    """One room as R, or not_found."""
    room = get_room(session, slug)
    member = session.get(RoomMember, (user_id, room.id)) is not None
    return room_summary(
        room,
        member,
        unread_count(session, user_id, room.id),
        online([slug]).get(slug, 0),
        mention_count(session, user_id, room.id),
    )
