"""Room broadcasts built once and written straight to each websocket.

A broadcast is the same bytes for every recipient: server-to-client websocket frames are
not masked. python-socketio encodes the packet once but then hands it to each client's
engine.io queue, where that client's writer greenlet wakes up and simple-websocket frames
it again, about 40 µs of Python per recipient. Here the complete frame (the websocket
header and the `42[...]` text) is built once per broadcast and each client's socket gets
one non-blocking `send` of it.

Per-client order holds because a client gets the direct write only when nothing is ahead
of it: its engine.io queue is empty and no write of its own is in progress (the socket
lock of chatroom.library_patches.CompleteSends). Otherwise, and whenever the send would block, the
packet goes through engine.io's queue as before, so a client that stops reading still
builds up a queue that the slow-reader watchdog (chatroom.realtime.backpressure) sees and
cuts off. Polling clients, emits with callbacks and binary payloads also take the
library's path.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from chatroom import library_patches, metrics
from chatroom.library_patches import CompleteSends

_DIRECT = metrics.DELIVERIES.labels(path="direct")
_QUEUED = metrics.DELIVERIES.labels(path="queued")


def text_frame(text: str) -> bytes:
    """One unmasked, unfragmented websocket text frame (RFC 6455 section 5.2)."""
    data = text.encode()
    n = len(data)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 65536:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + data


def _direct_socket(eio_socket: Any) -> CompleteSends | None:
    """The client's socket if a frame may be written to it now, ahead of nothing."""
    if not eio_socket.upgraded or eio_socket.closed or eio_socket.upgrading or eio_socket.queue.qsize():
        return None
    ws = library_patches.websocket_of(eio_socket)
    if ws is None or not ws.connected:
        return None
    out = ws.sock
    return out if isinstance(out, CompleteSends) else None


class DirectBroadcast(socketio.Manager):  # type: ignore[misc]  # python-socketio is untyped
    """A client manager whose room emits write one shared frame to each websocket."""

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        target = to or room
        if callback is not None or target is None or namespace not in self.rooms:
            super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        if isinstance(encoded, list):  # binary attachments: several packets, the library's path
            super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)
            return
        eio_pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        frame = text_frame(eio_pkt.encode())
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        sockets = self.server.eio.sockets
        direct = queued = 0
        for sid, eio_sid in self.get_participants(namespace, target):
            if sid in skip:
                continue
            sock = sockets.get(eio_sid)
            out = _direct_socket(sock) if sock is not None else None
            if out is not None and out.send_now(frame):
                direct += 1
            else:
                queued += 1
                self.server._send_eio_packet(eio_sid, eio_pkt)
        _DIRECT.inc(direct)
        _QUEUED.inc(queued)


class DirectBroadcastRedis(socketio.RedisManager, DirectBroadcast):  # type: ignore[misc]
    """The Redis manager (several processes) with the direct write for local delivery.

    RedisManager publishes each emit and delivers it locally through the next manager in
    line, which is DirectBroadcast.emit.
    """


def direct_acks(server: socketio.Server) -> None:
    """Write event acks straight to an idle websocket too, as one frame, like broadcasts."""

    def write(eio_sid: str, pkt: Any) -> bool:
        encoded = pkt.encode()
        if isinstance(encoded, list):
            return False  # binary attachments: the library's path
        eio_pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        sock = server.eio.sockets.get(eio_sid)
        out = _direct_socket(sock) if sock is not None else None
        if out is None or not out.send_now(text_frame(eio_pkt.encode())):
            server._send_eio_packet(eio_sid, eio_pkt)
        return True

    library_patches.route_acks(server, write)
