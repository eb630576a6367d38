"""The Socket.IO events of docs/protocol.md.

The handshake (`connect`) goes through Flask-SocketIO, because it needs the request's
cookie and Flask-Login. It leaves the authenticated user in the connection's WSGI environ,
and every later event is registered on python-socketio directly: it finds its caller there
by sid, without a Flask request context, a session cookie or a signature check per event
(those were about a third of the CPU of each message and vote).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import socketio as python_socketio
from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, SocketIO
from sqlalchemy.orm import Session

from chatroom import broadcaster, channels, metrics
from chatroom.config import Config
from chatroom.error_mapping import as_chat_error
from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.jsondepth import MAX_DEPTH, TooDeepArgument
from chatroom.ratelimits import socket_limits
from chatroom.realtime.guard import PageReads
from chatroom.realtime.presence import presence
from chatroom.schemas import (
    TYPING_INTERVAL_SECONDS,
    DeleteIn,
    EditIn,
    HistoryIn,
    JoinIn,
    MuteIn,
    Payload,
    ReadIn,
    RoomIn,
    SendIn,
    TopIn,
    UnmuteIn,
    VoteIn,
)
from chatroom.services import accounts, messages, moderation, rooms, tokens, top, votes
from chatroom.services.rooms import get_room
from chatroom.services.writer import GroupWriter

P = TypeVar("P", bound=Payload)
Ack = dict[str, Any]
NAMESPACE = "/"

# How often a long-lived socket re-checks that its log-in session still exists. Log-out
# disconnects its sockets at once; this bounds the lag if that signal is ever missed.
SESSION_RECHECK_SECONDS = 60.0
# Page reads (join, history, Top) of one person that run at once, across their connections.
PAGE_READS_PER_USER = 2
# Keys of the connection's WSGI environ (one dict per connection, kept by python-socketio).
_USER_KEY = "chatroom.user"
_CHECKED_KEY = "chatroom.checked_at"


def _refusal(error: ChatError) -> ConnectionRefusedError:
    # Clients see {"message": code, "data": {"code", "message"}} in their connect_error.
    metrics.ERRORS.labels(code=error.code, transport="socket").inc()
    return ConnectionRefusedError(error.code, error.body()["error"])


def _caller(server: python_socketio.Server, sid: str, config: Config) -> accounts.Caller:
    """The user behind a connection, re-checking now and then that their session or token lives."""
    environ = server.get_environ(sid, NAMESPACE)
    user: accounts.Caller | None = environ.get(_USER_KEY) if environ else None
    if environ is None or user is None:
        raise ChatError("unauthorized", "log in first")
    if time.monotonic() - environ.get(_CHECKED_KEY, 0.0) > SESSION_RECHECK_SECONDS:
        with db.session() as s:
            alive = _still_valid(s, user, config)
        if not alive:
            environ.pop(_USER_KEY, None)
            server.disconnect(sid, namespace=NAMESPACE)
            raise ChatError("unauthorized", "the session has ended; log in again")
        environ[_CHECKED_KEY] = time.monotonic()
    return user


def _still_valid(s: Session, user: accounts.Caller, config: Config) -> bool:
    if isinstance(user, tokens.TokenUser):
        return tokens.token_is_live(s, user.token_id)
    if isinstance(user, accounts.SessionUser):
        alive = accounts.resume_session(s, user.token, config.session_idle_timeout, config.session_absolute_timeout)
        return alive is not None
    return False


def _credential_channel(user: accounts.Caller) -> str:
    """The Socket.IO room through which ending this caller's session or token closes the socket."""
    if isinstance(user, tokens.TokenUser):
        return channels.token_channel(user.token_id)
    if isinstance(user, accounts.SessionUser):
        return channels.session_channel(user.token_hash)
    raise ChatError("unauthorized", "log in first")


def _connecting_user(auth: Any) -> accounts.Caller:
    """Who opens this connection: the API token in the `auth` payload, else the session cookie.

    Raises ChatError unauthorized. Every token that does not work gets the same answer.
    """
    if isinstance(auth, dict) and "token" in auth:
        secret = auth["token"]
        token_user = None
        if isinstance(secret, str):
            with db.session() as s:
                token_user = tokens.authenticate_token(s, secret)
        if token_user is None:
            raise ChatError("unauthorized", tokens.BAD_TOKEN)
        return token_user
    if not current_user.is_authenticated:
        raise ChatError("unauthorized", "log in first")
    user: accounts.SessionUser = current_user._get_current_object()
    return user


def register(socketio: SocketIO, config: Config, writer: GroupWriter) -> None:
    server: python_socketio.Server = socketio.server

    page_reads = PageReads(PAGE_READS_PER_USER)

    def event(
        name: str, schema: type[P], *, page_read: bool = False
    ) -> Callable[[Callable[[str, accounts.Caller, P], Ack]], None]:
        """Bind a handler that gets the sid, the caller and a validated payload; always ack.
        A `page_read` handler waits for its caller's page slot (realtime.guard.PageReads)."""

        def bind(handler: Callable[[str, accounts.Caller, P], Ack]) -> None:
            @wraps(handler)
            def on_event(sid: str, *args: Any) -> Ack:
                try:
                    user = _caller(server, sid, config)
                    if any(isinstance(arg, TooDeepArgument) for arg in args):
                        raise ChatError("invalid", f"the payload nests deeper than {MAX_DEPTH} levels")
                    if len(args) != 1 or not isinstance(args[0], dict):
                        raise ChatError("invalid", "the payload must be one JSON object")
                    payload = schema.model_validate(args[0])
                    if not page_read:
                        return handler(sid, user, payload)
                    with page_reads.slot(user.id):
                        return handler(sid, user, payload)
                except Exception as exc:  # noqa: BLE001 - every failure becomes an error ack
                    error = as_chat_error(exc)
                    metrics.ERRORS.labels(code=error.code, transport="socket").inc()
                    return {"ok": False, **error.body()}

            server.on(name, on_event, namespace=NAMESPACE)

        return bind

    @socketio.on("connect")
    def on_connect(auth: Any = None) -> None:
        try:
            user = _connecting_user(auth)
            credential = _credential_channel(user)
        except Exception as exc:
            raise _refusal(as_chat_error(exc)) from exc
        # Flask-SocketIO's request environ here is the connection's own, which later events
        # read back by sid (_caller).
        request.environ[_USER_KEY] = user
        request.environ[_CHECKED_KEY] = time.monotonic()
        # Log-out, or revoking the token, reaches this socket through its credential's channel.
        server.enter_room(request.sid, credential, namespace=NAMESPACE)  # type: ignore[attr-defined]
        # The person's other sockets hear of their `read` here.
        server.enter_room(request.sid, channels.user_channel(user.id), namespace=NAMESPACE)  # type: ignore[attr-defined]

    @socketio.on("disconnect")
    def on_disconnect(*_args: Any) -> None:
        presence.disconnect(request.sid)  # type: ignore[attr-defined]

    @event("join", JoinIn, page_read=True)
    def on_join(sid: str, user: accounts.Caller, data: JoinIn) -> Ack:
        socket_limits.hit_join(user.id)
        with db.session() as s:
            # Only a room that exists gets a channel: invented names must not grow the server.
            entered = rooms.join(s, user.id, data.room)
            # Enter the channel before reading: a change committed after the read then arrives
            # as a broadcast, so nothing falls between the snapshot and the live stream.
            server.enter_room(sid, channels.room_channel(data.room), namespace=NAMESPACE)
            joined = messages.join_room(s, user.id, entered.room, data.after_seq)
        online = presence.join(sid, user.id, user.username, data.room)
        return {
            "ok": True,
            "room": joined.room,
            "messages": joined.messages,
            "has_more": joined.has_more,
            "seq": joined.seq,
            "reset": joined.reset,
            "online": online,
            "muted": entered.muted,
        }

    @event("leave", RoomIn)
    def on_leave(sid: str, user: accounts.Caller, data: RoomIn) -> Ack:
        with db.session() as s:
            rooms.leave(s, user.id, data.room)
        server.leave_room(sid, channels.room_channel(data.room), namespace=NAMESPACE)
        presence.leave(sid, data.room)
        return {"ok": True}

    @event("read", ReadIn)
    def on_read(sid: str, user: accounts.Caller, data: ReadIn) -> Ack:
        with db.session() as s:
            position = rooms.mark_read(s, user.id, data.room, data.message_id)
        if position.moved:
            broadcaster.unread_changed(user.id, data.room, position.unread, position.mentions, skip_sid=sid)
        return {"ok": True, "unread": position.unread, "mentions": position.mentions}

    @event("typing", RoomIn)
    def on_typing(sid: str, user: accounts.Caller, data: RoomIn) -> Ack:
        with db.session() as s:
            get_room(s, data.room)
        if presence.typing_allowed(user.id, data.room, TYPING_INTERVAL_SECONDS):
            own = presence.sids_of(data.room, user.id)
            broadcaster.typing(data.room, user.id, user.username, [*own, sid] if sid not in own else own)
        return {"ok": True}

    @event("data", SendIn)
    def on_data(_sid: str, user: accounts.Caller, data: SendIn) -> Ack:
        sent = messages.send_message(writer, user, data.room, data.body, data.client_id)
        return {"ok": True, "message": sent.message}

    @event("edit", EditIn)
    def on_edit(_sid: str, user: accounts.Caller, data: EditIn) -> Ack:
        socket_limits.hit_edit(user.id)
        edited = messages.edit_message(writer, user, data.message_id, data.body, config.edit_window_seconds)
        return {"ok": True, "message": edited.message}

    @event("delete", DeleteIn)
    def on_delete(_sid: str, user: accounts.Caller, data: DeleteIn) -> Ack:
        socket_limits.hit_edit(user.id)
        deleted = messages.delete_message(writer, user, data.message_id, data.reason)
        return {"ok": True, "message": deleted.message}

    @event("mute", MuteIn)
    def on_mute(_sid: str, user: accounts.Caller, data: MuteIn) -> Ack:
        socket_limits.hit_mute(user.id)
        with db.session() as s:
            entry = moderation.mute(s, user, data.room, data.username, data.minutes, data.reason)
        return {"ok": True, "entry": entry}

    @event("unmute", UnmuteIn)
    def on_unmute(_sid: str, user: accounts.Caller, data: UnmuteIn) -> Ack:
        socket_limits.hit_mute(user.id)
        with db.session() as s:
            entry = moderation.unmute(s, user, data.room, data.username, data.reason)
        return {"ok": True, "entry": entry}

    @event("upvote", VoteIn)
    def on_upvote(_sid: str, user: accounts.Caller, data: VoteIn) -> Ack:
        socket_limits.hit_vote(user.id)
        return votes.cast_vote(writer, user, data.message_id, 1).ack()

    @event("downvote", VoteIn)
    def on_downvote(_sid: str, user: accounts.Caller, data: VoteIn) -> Ack:
        socket_limits.hit_vote(user.id)
        return votes.cast_vote(writer, user, data.message_id, -1).ack()

    @event("get_previous_messages", HistoryIn, page_read=True)
    def on_history(_sid: str, user: accounts.Caller, data: HistoryIn) -> Ack:
        socket_limits.hit_history(user.id)
        with db.session() as s:
            page = messages.load_history(s, user.id, data.room, data.before, data.limit)
        return {"ok": True, "messages": page.messages, "has_more": page.has_more}

    @event("get_top", TopIn, page_read=True)
    def on_top(_sid: str, user: accounts.Caller, data: TopIn) -> Ack:
        socket_limits.hit_top(user.id)
        with db.session() as s:
            page = top.load_top(s, user.id, data.room, data.window, data.limit, data.offset)
        return {"ok": True, "window": page.window, "messages": page.messages, "has_more": page.has_more}
