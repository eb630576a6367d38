"""The shapes that leave the server (docs/protocol.md is their contract)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chatroom.models import Message, Room, User


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


def room_view(room: Room) -> dict[str, Any]:
    return {"slug": room.slug, "name": room.name}


def message_view(message: Message, room_slug: str, my_vote: int = 0) -> dict[str, Any]:
    return message_dict(
        message.id, room_slug, message.body, message.author.id, message.author.username, message.created_at,
        message.upvotes, message.downvotes, message.client_id, message.seq, my_vote,
        edited_at=message.edited_at, deleted=message.deleted,
    )  # fmt: skip


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
) -> dict[str, Any]:
    """The message shape M. A deleted message is a tombstone: its body and votes stay in the
    database (moderators read its versions) but are shown as empty and 0."""
    if deleted:
        body, upvotes, downvotes, my_vote = "", 0, 0, 0
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
        "edited_at": iso(edited_at) if edited_at is not None else None,
        "deleted": deleted,
    }
