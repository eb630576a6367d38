"""Experiment: `python server.py` with room broadcasts written straight to the sockets.

Not part of the product. It tests recommendation 1 of docs/performance.md without touching
chatroom/: a server-to-client websocket frame is not masked, so the bytes are the same for
every recipient. The frame is built once per broadcast and written to each client's socket
with one non-blocking send; a client whose writer has packets pending (or whose socket
would block) gets the packet through engine.io's queue as before, so per-client order holds.

    BENCH_EXPERIMENT=direct_broadcast python -m bench ...   (see bench/servers.py)
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import runpy  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from engineio import packet as eio_packet  # noqa: E402
from engineio import socket as eio_socket  # noqa: E402
from engineio.async_drivers import _websocket_wsgi  # noqa: E402
from gevent.lock import Semaphore  # noqa: E402
from socketio import manager as sio_manager  # noqa: E402
from socketio import packet as sio_packet  # noqa: E402


def text_frame(text: str) -> bytes:
    data = text.encode()
    n = len(data)
    if n < 126:
        header = bytes([0x81, n])
    elif n < 65536:
        header = bytes([0x81, 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([0x81, 127]) + n.to_bytes(8, "big")
    return header + data


_original_handler = eio_socket.Socket._websocket_handler
_original_socket_send = eio_socket.Socket.send
_original_ws_send = _websocket_wsgi.SimpleWebSocketWSGI.send
_original_emit = sio_manager.Manager.emit


def _websocket_handler(self: Any, ws: Any) -> Any:
    ws.bench_lock = Semaphore()
    ws.bench_pending = 0
    self.bench_ws = ws
    return _original_handler(self, ws)


def _socket_send(self: Any, pkt: Any) -> None:
    ws = getattr(self, "bench_ws", None)
    if ws is not None:
        ws.bench_pending += 1
    _original_socket_send(self, pkt)


def _ws_send(self: Any, message: Any) -> Any:
    lock = getattr(self, "bench_lock", None)
    if lock is None:
        return _original_ws_send(self, message)
    with lock:
        try:
            return _original_ws_send(self, message)
        finally:
            self.bench_pending = max(0, self.bench_pending - 1)


def _direct(ws: Any, frame: bytes) -> bool:
    """Write the frame now if nothing is ahead of it for this client; False to queue it."""
    if ws is None or ws.bench_pending > 0 or ws.bench_lock.locked() or not ws.ws.connected:
        return False
    sock = ws.ws.sock
    try:
        sent = sock._sock.send(frame)  # the OS socket: one non-blocking send, no greenlet switch
    except BlockingIOError:
        return False
    except OSError:
        return True  # a dead peer: its reader notices and closes the session
    if sent < len(frame):
        with ws.bench_lock:
            sock.sendall(frame[sent:])
    return True


def emit(self: Any, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
         callback: Any = None, to: Any = None, **kwargs: Any) -> None:  # fmt: skip
    target = to or room
    if callback is not None or target is None or namespace not in self.rooms:
        return _original_emit(self, event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to)
    args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
    encoded = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, *args]).encode()
    if isinstance(encoded, list):  # binary attachments: leave them to the library
        return _original_emit(self, event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to)
    eio_pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    frame = text_frame(eio_pkt.encode())
    skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
    sockets = self.server.eio.sockets
    for sid, eio_sid in self.get_participants(namespace, target):
        if sid in skip:
            continue
        sock = sockets.get(eio_sid)
        if sock is None:
            continue
        if not (sock.upgraded and _direct(getattr(sock, "bench_ws", None), frame)):
            self.server._send_eio_packet(eio_sid, eio_pkt)
    return None


eio_socket.Socket._websocket_handler = _websocket_handler
eio_socket.Socket.send = _socket_send
_websocket_wsgi.SimpleWebSocketWSGI.send = _ws_send
sio_manager.Manager.emit = emit

if __name__ == "__main__":
    server = Path(sys.argv[1])
    sys.argv = [str(server), *sys.argv[2:]]
    sys.path.insert(0, str(server.parent))
    runpy.run_path(str(server), run_name="__main__")
