"""The protocol's shapes (docs/protocol.md). Messages stay plain dicts: fields the server adds
later pass through untouched, and a message compares equal to the server's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NotRequired, TypedDict


class User(TypedDict):
    id: int
    username: str


class Account(TypedDict):
    id: int
    username: str
    email: str
    created_at: NotRequired[str]
    role: NotRequired[str]  # "member", "moderator" or "admin"


class Message(TypedDict):
    """M: a message in its current state; `seq` is the room seq of its latest change."""

    id: int
    room: str
    body: str
    author: User
    created_at: str
    upvotes: int
    downvotes: int
    score: int
    my_vote: int
    client_id: str | None
    seq: int
    # Servers with the Top view and moderation send these; older ones do not.
    collapsed: NotRequired[bool]
    edited_at: NotRequired[str | None]
    deleted: NotRequired[bool]
    # Servers with mentions: the usernames the body mentions, as registered.
    mentions: NotRequired[list[str]]


class VoteTotals(TypedDict):
    """The `vote` broadcast (and a `batch`'s `vote` entries): absolute totals, never deltas."""

    message_id: int
    room: str
    upvotes: int
    downvotes: int
    score: int
    seq: int
    collapsed: NotRequired[bool]


class Room(TypedDict):
    """R: a room as `GET /api/rooms` describes it to the reader."""

    slug: str
    name: str
    topic: str
    created_at: str
    member: bool
    unread: int
    online: int
    # Servers with mentions: messages mentioning the reader after their read position.
    mentions: NotRequired[int]


class Token(TypedDict):
    id: int
    name: str
    created_at: str
    last_used_at: str | None


@dataclass(frozen=True)
class Joined:
    """A `join` ack: the room, its latest page (or what changed since `after_seq`) and who is online."""

    room: str
    name: str
    messages: list[Message]
    has_more: bool
    seq: int
    online: list[User]
    reset: bool = False


@dataclass(frozen=True)
class Page:
    """A page of history, oldest first; `has_more` says whether older messages remain."""

    messages: list[Message]
    has_more: bool
    window: str | None = None


@dataclass(frozen=True)
class Vote:
    """A vote's ack: the totals right after it, and the reader's own vote (1, 0 or -1)."""

    message_id: int
    upvotes: int
    downvotes: int
    score: int
    my_vote: int
    seq: int


@dataclass(frozen=True)
class NewToken:
    """A token just created. `secret` is shown this once: the server keeps only a hash."""

    token: Token
    secret: str = field(repr=False)
