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


class CompleteSends:
    """A socket whose send() always writes the whole buffer.

    simple-websocket writes each frame with one `sock.send()` and ignores its result. Under
    gevent a send on a full socket buffer writes part of the frame, and the rest would be
    lost, corrupting that client's stream. The common case stays one plain send (sendall
    costs gevent an extra getsockopt per call); only a short write pays for sendall.
    """

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def send(self, data: bytes, flags: int = 0) -> int:
        sent = int(self._sock.send(data, flags))
        if sent < len(data):
            self._sock.sendall(memoryview(data)[sent:], flags)
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def complete_websocket_sends() -> None:
    """Make every simple-websocket server connection write whole frames (see CompleteSends)."""
    from simple_websocket import ws

    if getattr(ws.Server.__init__, "_chatroom_complete_sends", False):
        return
    original = ws.Server.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        # Under gevent the reader started by __init__ has not run yet: it sees the wrapper too.
        self.sock = CompleteSends(self.sock)

    init._chatroom_complete_sends = True  # type: ignore[attr-defined]
    ws.Server.__init__ = init
