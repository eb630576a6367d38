"""What goes to clients. Called by services only after their transaction committed."""

from __future__ import annotations

from typing import Any

from chatroom.extensions import socketio


def room_channel(slug: str) -> str:
    return f"room:{slug}"


def session_channel(token_hash: str) -> str:
    return f"session:{token_hash}"


def message_created(message: dict[str, Any]) -> None:
    socketio.emit("data", message, to=room_channel(message["room"]))


def vote_changed(totals: dict[str, Any]) -> None:
    socketio.emit("vote", totals, to=room_channel(totals["room"]))


def session_ended(token_hash: str) -> None:
    """Tell the sockets of an ended session, then close them (in every process)."""
    channel = session_channel(token_hash)
    socketio.emit("session_ended", {"reason": "logged_out"}, to=channel)
    # Sockets in other processes got the event above and re-check their session within a
    # minute (see realtime.handlers); this process's own sockets close now.
    server = socketio.server
    for sid, _eio_sid in list(server.manager.get_participants("/", channel)):
        server.disconnect(sid, namespace="/")
