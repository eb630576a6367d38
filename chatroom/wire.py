"""The shapes that leave the server (docs/protocol.md is their contract)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chatroom.models import ApiToken, Message, Room, User


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "email": user.email, "created_at": iso(user.created_at)}


def token_view(token: ApiToken) -> dict[str, Any]:
    """A personal API token as listed; the secret is never part of it."""
    return {
        "id": token.id,
        "name": token.name,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at) if token.last_used_at is not None else None,
    }


def room_view(room: Room) -> dict[str, Any]:
    return {"slug": room.slug, "name": room.name}


def message_view(message: Message, room_slug: str, my_vote: int = 0) -> dict[str, Any]:
    return message_dict(
        message.id, room_slug, message.body, message.author.id, message.author.username, message.created_at,
        message.upvotes, message.downvotes, message.client_id, message.seq, my_vote,
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
) -> dict[str, Any]:
    """The message shape M."""
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
    }
