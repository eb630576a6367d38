"""Socket options for the gevent server."""

from __future__ import annotations

import contextlib
import socket
from typing import Any


def enable_tcp_nodelay() -> None:
    """Send small frames at once on every accepted connection.

    An ack and a broadcast leave back to back as two small websocket frames; with Nagle's
    algorithm on, the second waits for the client's delayed ACK (about 40 ms on Linux).
    Flask-SocketIO builds gevent's WSGIServer itself, so the option is set where that server
    hands each accepted socket to its handler.
    """
    from gevent import pywsgi

    if getattr(pywsgi.WSGIServer.handle, "_chatroom_nodelay", False):
        return
    original = pywsgi.WSGIServer.handle

    def handle(self: Any, sock: Any, address: Any) -> Any:
        # OSError: a unix socket, or one the peer already closed.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return original(self, sock, address)

    handle._chatroom_nodelay = True  # type: ignore[attr-defined]
    pywsgi.WSGIServer.handle = handle
