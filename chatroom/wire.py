"""The shapes that leave the server (docs/protocol.md is their contract)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chatroom.models import ApiToken, Room, User
from chatroom.ranking import is_collapsed
from chatroom.schemas import DEFAULT_COLLAPSE_SCORE


class _Collapse:
    """The collapse threshold (CHATROOM_COLLAPSE_SCORE), bound by create_app like the extensions."""

    threshold: int = DEFAULT_COLLAPSE_SCORE


def set_collapse_score(threshold: int) -> None:
    """Messages at or below `threshold` are sent collapsed from now on (create_app calls this)."""
    _Collapse.threshold = threshold


def collapsed(score: int) -> bool:
    """Whether a message of this score goes out with `collapsed: true`."""
    return is_collapsed(score, _Collapse.threshold)


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "created_at": iso(user.created_at),
        "role": user.role,
    }


def token_view(token: ApiToken) -> dict[str, Any]:
    """A personal API token as listed; the secret is never part of it."""
    return {
        "id": token.id,
        "name": token.name,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at) if token.last_used_at is not None else None,
    }


def room_view(room: Room | RoomRef) -> dict[str, Any]:
    return {"slug": room.slug, "name": room.name}


@dataclass(frozen=True)
class RoomRef:
    """What a read needs of a room, taken from a Core row instead of a loaded Room."""

    id: int
    slug: str
    name: str

    @classmethod
    def of(cls, room: Room) -> RoomRef:
        return cls(room.id, room.slug, room.name)


def message_view(row: Any, room_slug: str) -> dict[str, Any]:
    """M from a row of services.messages.with_my_vote (columns, not a loaded Message)."""
    return message_dict(
        row.id, room_slug, row.body, row.author_id, row.author_name, row.created_at,
        row.upvotes, row.downvotes, row.client_id, row.seq, row.my_vote,
        edited_at=row.edited_at, deleted=row.deleted, mentions=row.mentions,
    )  # fmt: skip


def mute_view(until: datetime | None, reason: str | None, now: datetime) -> dict[str, Any] | None:
    """A mute as joined and acked while it lasts: {"until", "reason"}; None once it ended."""
    if until is None or aware(until) <= now:
        return None
    return {"until": iso(until), "reason": reason}


def aware(moment: datetime) -> datetime:
    """`moment` in UTC: SQLite hands back naive datetimes, and everything is stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def message_dict(
    message_id: int,
    room_slug: str,
    body: str,
    author_id: int,
    author_name: str,
    created_at: datetime,
    upvotes: int,
    downvotes: int,
    client_id: str | None,
    seq: int,
    my_vote: int,
    *,
    edited_at: datetime | None = None,
    deleted: bool = False,
    mentions: list[str] | None = None,
) -> dict[str, Any]:
    """The message shape M. A deleted message is a tombstone: its body and votes stay in the
    database (moderators read its versions) but are shown as empty and 0, and it mentions
    nobody. `mentions`: the usernames the body mentions (services.mentions)."""
    if deleted:
        body, upvotes, downvotes, my_vote, mentions = "", 0, 0, 0, []
    return {
        "id": message_id,
        "room": room_slug,
        "body": body,
        "author": {"id": author_id, "username": author_name},
        "created_at": iso(created_at),
        "upvotes": upvotes,
        "downvotes": downvotes,
        "score": upvotes - downvotes,
        "my_vote": my_vote,
        "client_id": client_id,
        "seq": seq,
        "collapsed": collapsed(upvotes - downvotes),
        "edited_at": iso(edited_at) if edited_at is not None else None,
        "deleted": deleted,
        "mentions": list(mentions or []),
    }


def vote_totals(message_id: int, room_slug: str, upvotes: int, downvotes: int, seq: int) -> dict[str, Any]:
    """A message's vote totals as broadcast (`vote`, and `vote` entries of `batch`) and acked."""
    return {
        "message_id": message_id,
        "room": room_slug,
        "upvotes": upvotes,
        "downvotes": downvotes,
        "score": upvotes - downvotes,
        "seq": seq,
        "collapsed": collapsed(upvotes - downvotes),
    }
