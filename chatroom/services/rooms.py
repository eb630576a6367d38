"""Rooms and their timeline counter."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chatroom.errors import ChatError
from chatroom.models import Room

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def get_room(session: Session, slug: str) -> Room:
    room = session.scalar(select(Room).where(Room.slug == slug)) if SLUG_RE.match(slug) else None
    if room is None:
        raise ChatError("not_found", f"no room {slug!r}", "room")
    return room


def next_seq(session: Session, room_id: int) -> int:
    """Take the room's next sequence number inside the caller's transaction.

    The UPDATE holds the room row's lock until commit, so every change in the room is
    numbered in commit order with no gaps (a rollback gives the number back).
    """
    seq = session.execute(
        update(Room).where(Room.id == room_id).values(seq=Room.seq + 1).returning(Room.seq)
    ).scalar_one()
    return int(seq)


def next_seq_by_slug(session: Session, slug: str) -> tuple[int, int]:
    """As next_seq, addressing the room by slug: (room_id, seq). Raises not_found."""
    row = None
    if SLUG_RE.match(slug):
        row = session.execute(
            update(Room).where(Room.slug == slug).values(seq=Room.seq + 1).returning(Room.id, Room.seq)
        ).first()
    if row is None:
        session.rollback()
        raise ChatError("not_found", f"no room {slug!r}", "room")
    return int(row[0]), int(row[1])
