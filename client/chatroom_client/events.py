"""What `Client.events()` yields. Each message reaches a client as one `NewMessage`, whether it
came live, in a `batch`, in the ack of the client's own send or in a catch-up after a
reconnect; later changes of a held message come as `MessageUpdated`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatroom_client.types import Message, User


@dataclass(frozen=True)
class NewMessage:
    room: str
    message: Message


@dataclass(frozen=True)
class MessageUpdated:
    """A held message changed (its vote totals): `message` is its new state."""

    room: str
    message: Message


@dataclass(frozen=True)
class RoomReset:
    """A catch-up missed too much (`reset` in the join ack): the room starts over from `messages`."""

    room: str
    messages: list[Message]


@dataclass(frozen=True)
class Presence:
    room: str
    online: list[User]


@dataclass(frozen=True)
class Typing:
    room: str
    user: User


@dataclass(frozen=True)
class Unread:
    """The reader's own `read` on another socket changed their unread count (and their count of
    mentions after the read position, on servers with mentions)."""

    room: str
    unread: int
    mentions: int = 0


@dataclass(frozen=True)
class Mentioned:
    """A committed message newly mentions the reader (`@username`), in any room, joined or not."""

    room: str
    message: Message


@dataclass(frozen=True)
class Disconnected:
    reason: str


@dataclass(frozen=True)
class Reconnected:
    """The socket is back; the joined rooms are caught up with `after_seq` right after this."""


@dataclass(frozen=True)
class OtherEvent:
    """A server event this version of the library does not know, as received."""

    name: str
    payload: Any


Event = (
    NewMessage
    | MessageUpdated
    | RoomReset
    | Presence
    | Typing
    | Unread
    | Mentioned
    | Disconnected
    | Reconnected
    | OtherEvent
)
