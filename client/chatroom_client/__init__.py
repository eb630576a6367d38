"""A typed Python client for Chatroom servers: `Client` (blocking) and `AsyncClient` (asyncio).

    from chatroom_client import Client, NewMessage

    with Client("https://chat.example.com", token="chr_...") as chat:
        chat.join("general")
        for event in chat.events():
            if isinstance(event, NewMessage) and event.message["body"] == "!ping":
                chat.send(event.room, "pong")

See docs/client.md in the repository.
"""

from __future__ import annotations

import os
from typing import Any

from chatroom_client.aio import AsyncClient
from chatroom_client.errors import (
    AckTimeoutError,
    BadCredentialsError,
    ChatroomError,
    ConnectionLostError,
    ForbiddenError,
    InternalError,
    InvalidError,
    MethodNotAllowedError,
    NotConnectedError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    SessionEndedError,
    TakenError,
    TooLongError,
    TooManyError,
    TransportError,
    UnauthorizedError,
    UnavailableError,
)
from chatroom_client.events import (
    Disconnected,
    Event,
    Mentioned,
    MessageUpdated,
    NewMessage,
    OtherEvent,
    Presence,
    Reconnected,
    RoomReset,
    Typing,
    Unread,
)
from chatroom_client.sync import Client
from chatroom_client.timeline import RoomTimeline
from chatroom_client.types import Account, Joined, Message, NewToken, Page, Room, Token, User, Vote, VoteTotals

__all__ = [
    "Account",
    "AckTimeoutError",
    "AsyncClient",
    "BadCredentialsError",
    "ChatroomError",
    "Client",
    "ConnectionLostError",
    "Disconnected",
    "Event",
    "ForbiddenError",
    "InternalError",
    "InvalidError",
    "Joined",
    "Mentioned",
    "Message",
    "MessageUpdated",
    "MethodNotAllowedError",
    "NewMessage",
    "NewToken",
    "NotConnectedError",
    "NotFoundError",
    "OtherEvent",
    "Page",
    "PayloadTooLargeError",
    "Presence",
    "RateLimitedError",
    "Reconnected",
    "Room",
    "RoomReset",
    "RoomTimeline",
    "SessionEndedError",
    "TakenError",
    "Token",
    "TooLongError",
    "TooManyError",
    "TransportError",
    "Typing",
    "UnauthorizedError",
    "UnavailableError",
    "Unread",
    "User",
    "Vote",
    "VoteTotals",
    "client_from_env",
]


def client_from_env(**options: Any) -> Client:
    """A logged-in `Client` from the environment: `CHATROOM_URL`, and `CHATROOM_TOKEN` or
    `CHATROOM_EMAIL` with `CHATROOM_PASSWORD`."""
    url = os.environ.get("CHATROOM_URL", "http://127.0.0.1:5000")
    token = os.environ.get("CHATROOM_TOKEN")
    client = Client(url, token=token, **options)
    if token is None:
        client.login(os.environ["CHATROOM_EMAIL"], os.environ["CHATROOM_PASSWORD"])
    return client
