"""Socket options for the gevent server."""

from __future__ import annotations

import contextlib
import socket
import threading
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
    """A socket whose send() always writes the whole buffer, one writer at a time.

    simple-websocket writes each frame with one `sock.send()` and ignores its result. Under
    gevent a send on a full socket buffer writes part of the frame, and the rest would be
    lost, corrupting that client's stream. The common case stays one plain send (sendall
    costs gevent an extra getsockopt per call); only a short write pays for sendall.

    Every write of the connection (engine.io's writer, simple-websocket's own close and
    pong frames, and the direct broadcasts of chatroom.realtime.fanout) holds `lock`, so
    frames never interleave and a direct write never overtakes a frame being written.
    """

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self.lock = threading.Lock()
        # gevent's socket wraps a non-blocking OS socket; a direct write uses that one.
        raw = getattr(sock, "_sock", None)
        self._raw = raw if raw is not None and raw.gettimeout() == 0.0 else None

    def send(self, data: bytes, flags: int = 0) -> int:
        with self.lock:
            sent = int(self._sock.send(data, flags))
            if sent < len(data):
                self._sock.sendall(memoryview(data)[sent:], flags)
        return len(data)

    def send_now(self, frame: bytes) -> bool:
        """Write `frame` without waiting, if no other write is in progress.

        False means nothing was written (a write in progress, a full socket buffer, or a
        socket that cannot do this): the caller then sends the frame the ordinary way.
        """
        raw = self._raw
        if raw is None or self.lock.locked():
            return False
        try:
            sent = raw.send(frame)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True  # a dead peer: its reader notices and closes the connection
        if sent < len(frame):
            # The rest goes out from a greenlet of its own, holding the lock so that the
            # connection's next frame waits behind it; the broadcaster does not wait.
            self.lock.acquire()
            threading.Thread(target=self._finish, args=(memoryview(frame)[sent:],), daemon=True).start()
        return True

    def _finish(self, rest: memoryview) -> None:
        try:
            self._sock.sendall(rest)
        except OSError:
            pass  # the peer went away; its reader closes the connection
        finally:
            self.lock.release()

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
