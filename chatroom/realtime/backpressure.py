"""Disconnect clients that stop reading, so they cannot stall others or grow memory.

Every broadcast is queued per connection until that connection's writer sends it. A client
that never reads its socket fills the kernel buffers, its writer blocks, and its queue would
grow for as long as the room is busy. Past a bound we disconnect it: it leaves every room
(so nothing more is queued for it) and, if it is alive after all, it reconnects and catches
up through `join {after_seq}` like any other client.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_socketio import SocketIO

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 1.0


def disconnect_stalled(socketio: SocketIO, max_queued: int) -> int:
    """One sweep: disconnect every connection with more than `max_queued` unsent packets."""
    eio = socketio.server.eio
    stalled = [sid for sid, sock in list(eio.sockets.items()) if _queued(sock) > max_queued]
    for sid in stalled:
        log.warning("disconnecting a client that stopped reading (%d packets queued)", _queued(eio.sockets[sid]))
        eio.disconnect(sid)
    return len(stalled)


def _queued(sock: Any) -> int:
    queue = getattr(sock, "queue", None)
    return int(queue.qsize()) if queue is not None else 0


def start_watchdog(socketio: SocketIO, max_queued: int) -> None:
    """Run disconnect_stalled every second in the server's own async mode."""

    def watch() -> None:
        while True:
            socketio.sleep(CHECK_EVERY_SECONDS)
            try:
                disconnect_stalled(socketio, max_queued)
            except Exception:  # the watchdog must outlive any one bad sweep
                log.exception("slow-client sweep failed")

    socketio.start_background_task(watch)
