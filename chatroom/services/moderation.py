"""Roles, mutes and the public moderation log.

Permissions are read from the database on every action, never from a session's cached user,
so a role given or taken in one process holds at once in all of them. Mutes are rows, read by
the write path of every process (services/batch_apply.py) when it stores a message. Events go
to the person concerned after the commit (broadcaster.to_user), in every process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatroom import broadcaster
from chatroom.errors import ChatError
from chatroom.models import ModerationEntry, Mute, Room, User, utcnow
from chatroom.schemas import MAX_ID, MAX_PAGE_SIZE, MUTE_MAX_MINUTES, PAGE_SIZE, REASON_MAX_CHARS
from chatroom.services.accounts import USERNAME_RE, Caller
from chatroom.services.batch_plan import MODERATOR_ROLES
from chatroom.services.rooms import GENERAL, get_room
from chatroom.wire import aware, iso, mute_view

GIVABLE_ROLES = ("member", "moderator")


@dataclass(frozen=True)
class LogPage:
    entries: list[dict[str, Any]]
    has_more: bool


def role_of(session: Session, user_id: int) -> str:
    """The person's role as stored now."""
    return session.scalar(select(User.role).where(User.id == user_id)) or "member"


def _require_moderator(session: Session, actor: Caller) -> None:
    if role_of(session, actor.id) not in MODERATOR_ROLES:
        raise ChatError("forbidden", "only moderators and admins may do this")


def _user_named(session: Session, username: str) -> User:
    username = username.strip()
    # Only a name that could exist reaches the database (a NUL, say, is an error there).
    found = USERNAME_RE.match(username) is not None
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower())) if found else None
    if user is None:
        raise ChatError("not_found", f"no user {username!r}", "username")
    return user


def _reason(reason: str | None, *, required: bool) -> str:
    text = (reason or "").strip()
    if (required and not text) or len(text) > REASON_MAX_CHARS:
        raise ChatError("invalid", f"reason: must be {int(required)}-{REASON_MAX_CHARS} characters", "reason")
    return text


def entry_view(entry: ModerationEntry) -> dict[str, Any]:
    """The moderation log entry E."""
    target = entry.target
    return {
        "id": entry.id,
        "action": entry.action,
        "moderator": {"id": entry.moderator.id, "username": entry.moderator.username},
        "target": {"id": target.id, "username": target.username} if target is not None else None,
        "message_id": entry.message_id,
        "reason": entry.reason,
        "until": iso(entry.until) if entry.until is not None else None,
        "role": entry.role,
        "created_at": iso(entry.created_at),
    }


def set_role(session: Session, actor: Caller, username: str, role: object, reason: str | None = None) -> User:
    """Make someone a member or a moderator (admins only), logged in `general`'s log.

    Raises forbidden (the actor is not an admin, or the target is one), invalid (any role but
    member or moderator) or not_found. Giving the role someone already has changes nothing.
    """
    if role_of(session, actor.id) != "admin":
        raise ChatError("forbidden", "only admins may change roles")
    if not isinstance(role, str) or role not in GIVABLE_ROLES:
        raise ChatError("invalid", "role: must be member or moderator", "role")
    why = _reason(reason, required=False)
    user = _user_named(session, username)
    if user.role == "admin":
        raise ChatError("forbidden", "an admin's role cannot be changed")
    if user.role != role:
        user.role = str(role)
        session.add(
            ModerationEntry(
                room_id=get_room(session, GENERAL).id,
                action="role",
                moderator_id=actor.id,
                target_id=user.id,
                reason=why,
                role=role,
                created_at=utcnow(),
            )
        )
        session.commit()
    return user


def make_admin(session: Session, username: str) -> User:
    """Promote an account to admin from the shell (`server.py --make-admin`); not_found if unknown."""
    user = _user_named(session, username)
    user.role = "admin"
    session.commit()
    return user


def mute(session: Session, actor: Caller, room_slug: str, username: str, minutes: int, reason: str) -> dict[str, Any]:
    """Keep someone from sending in a room for `minutes` (1-43,200), logged; returns the entry E.

    Muting again replaces the end and the reason. The person's own sockets, in every process,
    get `muted {room, until, reason}` after the commit. Raises forbidden (the actor is not a
    moderator, or the target is a moderator or admin), invalid or not_found.
    """
    _require_moderator(session, actor)
    if not 1 <= minutes <= MUTE_MAX_MINUTES:
        raise ChatError("invalid", f"minutes: must be 1-{MUTE_MAX_MINUTES}", "minutes")
    why = _reason(reason, required=True)
    room = get_room(session, room_slug)
    target = _user_named(session, username)
    if target.role in MODERATOR_ROLES:
        raise ChatError("forbidden", "moderators and admins cannot be muted")
    now = utcnow()
    until = now + timedelta(minutes=minutes)
    row = session.get(Mute, (room.id, target.id))
    if row is None:
        session.add(
            Mute(room_id=room.id, user_id=target.id, until=until, reason=why, moderator_id=actor.id, created_at=now)
        )
    else:
        row.until, row.reason, row.moderator_id, row.created_at = until, why, actor.id, now
    entry = ModerationEntry(
        room_id=room.id,
        action="mute",
        moderator_id=actor.id,
        target_id=target.id,
        reason=why,
        until=until,
        created_at=now,
    )
    session.add(entry)
    try:
        session.commit()
    except IntegrityError:
        # Two moderators muting one person at the same instant: the other's row won; again.
        session.rollback()
        return mute(session, actor, room_slug, username, minutes, reason)
    view = entry_view(entry)
    broadcaster.to_user(target.id, "muted", {"room": room.slug, "until": iso(until), "reason": why})
    return view


def unmute(session: Session, actor: Caller, room_slug: str, username: str, reason: str | None) -> dict[str, Any] | None:
    """Lift someone's mute in a room, logged; returns the entry E, or None when they were not
    muted (nothing is logged or sent then). Their sockets get `unmuted {room}` after the commit.
    """
    _require_moderator(session, actor)
    why = _reason(reason, required=False)
    room = get_room(session, room_slug)
    target = _user_named(session, username)
    now = utcnow()
    lifted = session.execute(
        delete(Mute).where(Mute.room_id == room.id, Mute.user_id == target.id).returning(Mute.until)
    ).scalar()
    if lifted is None or aware(lifted) <= now:
        session.commit()
        return None
    entry = ModerationEntry(
        room_id=room.id, action="unmute", moderator_id=actor.id, target_id=target.id, reason=why, created_at=now
    )
    session.add(entry)
    session.commit()
    view = entry_view(entry)
    broadcaster.to_user(target.id, "unmuted", {"room": room.slug})
    return view


def active_mute(session: Session, user_id: int, room: Room) -> dict[str, Any] | None:
    """The person's mute in the room while it lasts: {"until", "reason"}, else None."""
    row = session.get(Mute, (room.id, user_id))
    return None if row is None else mute_view(row.until, row.reason, utcnow())


def moderation_log(session: Session, room_slug: str, before: int | None, limit: int = PAGE_SIZE) -> LogPage:
    """A page of the room's public log, newest first, older than entry id `before`."""
    room = get_room(session, room_slug)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = (
        select(ModerationEntry)
        .where(ModerationEntry.room_id == room.id)
        .order_by(ModerationEntry.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(ModerationEntry.id < min(before, MAX_ID))
    rows = list(session.scalars(query).unique())
    return LogPage([entry_view(e) for e in rows[:limit]], len(rows) > limit)
