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
    return {"id": user.id, "username": user.username, "email": user.email, "created_at": iso(user.created_at)}


def room_view(room: Room) -> dict[str, Any]:
    return {"slug": room.slug, "name": room.name}


def message_view(message: Message, room_slug: str, my_vote: int = 0) -> dict[str, Any]:
    return {
        "id": message.id,
        "room": room_slug,
        "body": message.body,
        "author": {"id": message.author.id, "username": message.author.username},
        "created_at": iso(message.created_at),
        "upvotes": message.upvotes,
        "downvotes": message.downvotes,
        "score": message.upvotes - message.downvotes,
        "my_vote": my_vote,
        "client_id": message.client_id,
        "seq": message.seq,
    }
