"""What goes to clients. Called by services only after their transaction committed."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from chatroom import metrics
from chatroom.extensions import socketio
from chatroom.realtime import sessions
from chatroom.realtime.sessions import session_channel

log = logging.getLogger(__name__)


__all__ = ["publish", "room_channel", "session_channel", "session_ended"]


def room_channel(slug: str) -> str:
    return f"room:{slug}"


def publish(broadcasts: list[tuple[str, dict[str, Any]]]) -> None:
    """Send a committed batch's changes to their rooms, in seq order.

    One change goes out as its own `data` or `vote` event; several changes of one room go out
    as one `batch` event, so under load each client gets one frame per batch rather than one
    per change (docs/protocol.md).
    """
    by_room: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for event, payload in broadcasts:
        by_room.setdefault(payload["room"], []).append((event, payload))
        (metrics.MESSAGES if event == "data" else metrics.VOTES).inc()
    for room, changes in by_room.items():
        if len(changes) == 1:
            _broadcast(room, *changes[0])
        else:
            batch = {
                "room": room,
                "data": [payload for event, payload in changes if event == "data"],
                "vote": [payload for event, payload in changes if event == "vote"],
            }
            _broadcast(room, "batch", batch)


def _broadcast(room: str, event: str, payload: dict[str, Any]) -> None:
    # The change is already committed. If the fan-out fails (Redis restarting), the sender
    # still gets its ack and everyone else recovers the change by seq (docs/protocol.md).
    try:
        with metrics.timed_emit(event):
            socketio.emit(event, payload, to=room_channel(room))
    except Exception:  # a lost broadcast must not turn a committed write into an error
        log.warning("broadcast of %s to %s failed; clients will catch up by seq", event, room, exc_info=True)


def session_ended(token_hash: str) -> None:
    """Tell the sockets of an ended session, then close them in every process."""
    socketio.emit("session_ended", {"reason": "logged_out"}, to=session_channel(token_hash))
    sessions.disconnect_local(socketio, token_hash)
    config = current_app.extensions["chatroom.config"]
    if config.redis_url:
        sessions.publish_session_end(config.redis_url, config.redis_prefix, token_hash)
