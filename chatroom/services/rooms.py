"""Rooms. Their timeline counter is advanced by services.batch_apply."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatroom.errors import ChatError
from chatroom.models import Room

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def get_room(session: Session, slug: str) -> Room:
    room = session.scalar(select(Room).where(Room.slug == slug)) if SLUG_RE.match(slug) else None
    if room is None:
        raise ChatError("not_found", f"no room {slug!r}", "room")
    return room
