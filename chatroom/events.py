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


__all__ = ["message_created", "room_channel", "session_channel", "session_ended", "vote_changed"]


def room_channel(slug: str) -> str:
    return f"room:{slug}"


def _broadcast(event: str, payload: dict[str, Any]) -> None:
    # The change is already committed. If the fan-out fails (Redis restarting), the sender
    # still gets its ack and everyone else recovers the change by seq (docs/protocol.md).
    try:
        with metrics.timed_emit(event):
            socketio.emit(event, payload, to=room_channel(payload["room"]))
    except Exception:  # a lost broadcast must not turn a committed write into an error
        log.warning("broadcast of %s seq %s failed; clients will catch up", event, payload.get("seq"), exc_info=True)


def message_created(message: dict[str, Any]) -> None:
    metrics.MESSAGES.inc()
    _broadcast("data", message)


def vote_changed(totals: dict[str, Any]) -> None:
    metrics.VOTES.inc()
    _broadcast("vote", totals)


def session_ended(token_hash: str) -> None:
    """Tell the sockets of an ended session, then close them in every process."""
    socketio.emit("session_ended", {"reason": "logged_out"}, to=session_channel(token_hash))
    sessions.disconnect_local(socketio, token_hash)
    config = current_app.extensions["chatroom.config"]
    if config.redis_url:
        sessions.publish_session_end(config.redis_url, config.redis_prefix, token_hash)
