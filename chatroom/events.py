"""What goes to clients. Called by services only after their transaction committed."""

from __future__ import annotations

import logging
from typing import Any

from chatroom import metrics
from chatroom.extensions import socketio

log = logging.getLogger(__name__)


def room_channel(slug: str) -> str:
    return f"room:{slug}"


def session_channel(token_hash: str) -> str:
    return f"session:{token_hash}"


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
    """Tell the sockets of an ended session, then close them (in every process)."""
    channel = session_channel(token_hash)
    socketio.emit("session_ended", {"reason": "logged_out"}, to=channel)
    # Sockets in other processes got the event above and re-check their session within a
    # minute (see realtime.handlers); this process's own sockets close now.
    server = socketio.server
    for sid, _eio_sid in list(server.manager.get_participants("/", channel)):
        server.disconnect(sid, namespace="/")
