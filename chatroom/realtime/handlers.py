"""The Socket.IO events of docs/protocol.md."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, SocketIO, disconnect, join_room

from chatroom import events
from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.failures import as_chat_error
from chatroom.schemas import HistoryIn, JoinIn, Payload, SendIn, VoteIn
from chatroom.services import accounts, messages, votes
from chatroom.services.writer import writer

P = TypeVar("P", bound=Payload)
Ack = dict[str, Any]

# How often a long-lived socket re-checks that its log-in session still exists. Log-out
# disconnects its sockets at once; this bounds the lag if that signal is ever missed.
SESSION_RECHECK_SECONDS = 60.0
_USER_KEY = "chatroom.user"
_CHECKED_KEY = "chatroom.checked_at"


def _socket_user() -> accounts.SessionUser:
    user: accounts.SessionUser | None = session.get(_USER_KEY)
    if user is None:
        raise ChatError("unauthorized", "log in first")
    if time.monotonic() - session.get(_CHECKED_KEY, 0.0) > SESSION_RECHECK_SECONDS:
        config = current_app.extensions["chatroom.config"]
        with db.session() as s:
            alive = accounts.resume_session(s, user.token, config.session_idle_timeout, config.session_absolute_timeout)
        if alive is None:
            session.pop(_USER_KEY, None)
            disconnect()
            raise ChatError("unauthorized", "the session has ended; log in again")
        session[_CHECKED_KEY] = time.monotonic()
    return user


def _refusal(error: ChatError) -> ConnectionRefusedError:
    # Clients see {"message": code, "data": {"code", "message"}} in their connect_error.
    return ConnectionRefusedError(error.code, error.body()["error"])


def register(socketio: SocketIO) -> None:
    def event(name: str, schema: type[P]) -> Callable[[Callable[[accounts.SessionUser, P], Ack]], None]:
        """Bind a handler that gets the caller and a validated payload, and always acks."""

        def bind(handler: Callable[[accounts.SessionUser, P], Ack]) -> None:
            @wraps(handler)
            def on_event(*args: Any) -> Ack:
                try:
                    user = _socket_user()
                    if len(args) != 1 or not isinstance(args[0], dict):
                        raise ChatError("invalid", "the payload must be one JSON object")
                    return handler(user, schema.model_validate(args[0]))
                except Exception as exc:  # noqa: BLE001 - every failure becomes an error ack
                    return {"ok": False, **as_chat_error(exc).body()}

            socketio.on_event(name, on_event)

        return bind

    @socketio.on("connect")
    def on_connect(_auth: Any = None) -> None:
        try:
            authenticated = current_user.is_authenticated
        except Exception as exc:
            raise _refusal(as_chat_error(exc)) from exc
        if not authenticated:
            raise _refusal(ChatError("unauthorized", "log in first"))
        user: accounts.SessionUser = current_user._get_current_object()
        session[_USER_KEY] = user
        session[_CHECKED_KEY] = time.monotonic()
        # Log-out reaches this socket through its session's channel.
        join_room(events.session_channel(user.token_hash))

    @event("join", JoinIn)
    def on_join(user: accounts.SessionUser, data: JoinIn) -> Ack:
        # Enter the channel before reading: a change committed after the reads then arrives
        # as a broadcast, so nothing falls between the snapshot and the live stream.
        join_room(events.room_channel(data.room))
        with db.session() as s:
            joined = messages.join_room(s, user.id, data.room, data.after_seq)
        return {
            "ok": True,
            "room": joined.room,
            "messages": joined.messages,
            "has_more": joined.has_more,
            "seq": joined.seq,
            "reset": joined.reset,
        }

    @event("data", SendIn)
    def on_data(user: accounts.SessionUser, data: SendIn) -> Ack:
        with db.session() as s:
            sent = messages.send_message(s, user, data.room, data.body, data.client_id, writer)
        return {"ok": True, "message": sent.message}

    @event("upvote", VoteIn)
    def on_upvote(user: accounts.SessionUser, data: VoteIn) -> Ack:
        with db.session() as s:
            return votes.cast_vote(s, user, data.message_id, 1, writer).ack()

    @event("downvote", VoteIn)
    def on_downvote(user: accounts.SessionUser, data: VoteIn) -> Ack:
        with db.session() as s:
            return votes.cast_vote(s, user, data.message_id, -1, writer).ack()

    @event("get_previous_messages", HistoryIn)
    def on_history(user: accounts.SessionUser, data: HistoryIn) -> Ack:
        with db.session() as s:
            page = messages.load_history(s, user.id, data.room, data.before, data.limit)
        return {"ok": True, "messages": page.messages, "has_more": page.has_more}
