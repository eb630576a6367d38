"""What one Socket.IO connection may cost the server, and what it gets for a bad frame.

Every frame a client sends is screened before python-socketio dispatches it:

- binary packets (Socket.IO types 5 and 6, or a binary websocket message) are refused and
  the connection closed: the protocol has none, and the library would keep every
  attachment a header announces;
- a frame that does not decode (bad JSON, an integer of thousands of digits, nesting deeper
  than the decoder goes), an empty event list or an unknown event is answered with an
  `invalid` ack when it carries an ack id, and closes the connection otherwise; each such
  frame is logged as one short line, at most one line a second for the whole process;
- a `connect` packet for a namespace the connection already joined is ignored, so the
  connect handler runs once per connection;
- at most `max_in_flight` events of one connection run at a time: the connection's reader
  waits for a free slot, so a client pipelining thousands of requests delays itself, not
  the people whose events run beside it.

Besides that: a cap on Engine.IO connections per client address, a budget of queued
bytes per connection (chatroom.library_patches.bound_queued_bytes) past which a client that
stopped reading is cut off, and `PageReads`: one person's page reads (join, history, Top)
run at most two at a time across all their connections.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from socketio import packet as sio_packet

from chatroom import library_patches, metrics

log = logging.getLogger("chatroom.transport")

# A connection whose events have not found a free slot in this long is stuck: it is closed.
SLOT_WAIT_SECONDS = 30.0
# After a close frame, how long a client gets to close its end before the TCP connection is cut.
CLOSE_GRACE_SECONDS = 5.0
# Events a client must never trigger itself.
_RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error"})
# The header of an EVENT packet: optional namespace, then the ack id (bounded: it is echoed).
_EVENT_HEADER = re.compile(r"2(?:(/[^,\[]{0,100}),)?(\d{1,15})(?!\d)")
_CONNECT_NAMESPACE = re.compile(r"0(/[^,{]{0,100})?")


class OneLinePerSecond:
    """Logs a warning at most once a second, counting what it held back."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._last = 0.0
        self._held = 0

    def warn(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last < 1.0:
            self._held += 1
            return
        held, self._held, self._last = self._held, 0, now
        suffix = f" ({held} more since the last line)" if held else ""
        self._logger.warning(message + suffix, *args)


class PageReads:
    """At most `per_user` page reads (a join's page, a history or Top page) of one person run at once.

    A page read is the costliest thing an event does without yielding: its rows are turned
    into a JSON answer in one go. Rate limits bound how many a person gets a minute, not
    when: a moving window that a flood filled at once refills at once a minute later, and
    16 pages built back to back (four connections of four events in flight) held every
    other event's database round trips behind them for 10-30 ms each; the attack soak's
    history readers alone put other people's ack p99 at 335 ms, 40 ms with this. Two at a
    time per person, a burst costs others at most two pages' wait per turn, and its
    sender the rest. A waiting read holds its connection's event slot, so the connection's
    next frames are not read meanwhile (ConnectionGuard).
    """

    def __init__(self, per_user: int) -> None:
        self.per_user = per_user
        self._slots: dict[int, tuple[threading.BoundedSemaphore, list[int]]] = {}

    @contextlib.contextmanager
    def slot(self, user_id: int) -> Iterator[None]:
        entry = self._slots.get(user_id)
        if entry is None:
            entry = self._slots[user_id] = (threading.BoundedSemaphore(self.per_user), [0])
        semaphore, users = entry
        users[0] += 1
        try:
            if not semaphore.acquire(blocking=False):
                metrics.PAGE_READ_WAITS.inc()
                semaphore.acquire()
            try:
                yield
            finally:
                semaphore.release()
        finally:
            users[0] -= 1
            if users[0] == 0:
                # Nobody holds or waits for it: dropped, so the map holds only active readers.
                del self._slots[user_id]


class ConnectionGuard:
    """Per-connection bounds of one python-socketio server (see the module docstring)."""

    def __init__(self, server: Any, *, max_in_flight: int, max_per_address: int, max_queued_bytes: int) -> None:
        self.server = server
        self.max_in_flight = max_in_flight
        self.max_per_address = max_per_address
        self.max_queued_bytes = max_queued_bytes
        self.bad_frames = OneLinePerSecond(log)
        self.refusals = OneLinePerSecond(log)
        self._addresses: dict[str, str] = {}  # eio sid -> client address
        self._per_address: dict[str, int] = {}

    def install(self) -> None:
        eio = self.server.eio
        library_patches.never_wait_on_disconnect(eio)
        library_patches.route_messages(self.server, self.screen)
        library_patches.screen_connections(eio, self.admit, self.release)
        library_patches.bound_queued_bytes(eio, self.max_queued_bytes, self.over_budget)

    # --- connections per address ---

    def admit(self, eio_sid: str, environ: dict[str, Any]) -> str | None:
        """None to accept a new Engine.IO connection, or why it is refused."""
        if self.max_per_address <= 0:
            return None
        # REMOTE_ADDR as the app sees it: the client's own address behind a trusted proxy.
        address = str(environ.get("REMOTE_ADDR") or "unknown")
        count = self._per_address.get(address, 0)
        if count >= self.max_per_address:
            self.refusals.warn("refused a connection: %d already open from %s", count, address)
            metrics.ERRORS.labels(code="rate_limited", transport="socket").inc()
            return "too many connections from this address"
        self._per_address[address] = count + 1
        self._addresses[eio_sid] = address
        return None

    def release(self, eio_sid: str) -> None:
        address = self._addresses.pop(eio_sid, None)
        if address is None:
            return
        left = self._per_address.get(address, 1) - 1
        if left > 0:
            self._per_address[address] = left
        else:
            self._per_address.pop(address, None)

    # --- queued bytes ---

    def over_budget(self, eio_socket: Any) -> None:
        """A connection's unsent packets passed the budget: it stopped reading; cut it off."""
        log.warning("disconnecting a client that stopped reading (over %d bytes queued)", self.max_queued_bytes)
        self.server.start_background_task(self.close, eio_socket.sid, 0.0)

    # --- frames ---

    def screen(self, eio_sid: str, data: Any, library: Any) -> None:
        """Dispatch one Socket.IO message of a connection, or answer or close it (module docstring)."""
        if not isinstance(data, str) or not data:
            self.refuse(eio_sid, "a binary message")
            return
        kind = data[0]
        if kind in "56":
            self.refuse(eio_sid, "a binary packet")
            return
        if kind == "2":
            self.dispatch_event(eio_sid, data)
            return
        if kind == "0" and self._already_connected(eio_sid, data):
            self.bad_frames.warn("ignored a second connect packet on an open namespace")
            return
        try:
            library(eio_sid, data)
        except Exception as exc:  # noqa: BLE001 - a client's frame must not crash its reader
            self.refuse(eio_sid, f"an undecodable packet ({exc.__class__.__name__})")

    def dispatch_event(self, eio_sid: str, data: str) -> None:
        server = self.server
        try:
            pkt = server.packet_class(encoded_packet=data)
        except Exception as exc:  # noqa: BLE001 - bad JSON, huge integers, deep nesting
            self.answer_invalid(eio_sid, data, f"the frame is not valid JSON ({exc.__class__.__name__})")
            return
        event = pkt.data
        namespace = pkt.namespace or "/"
        if not isinstance(event, list) or not event or not isinstance(event[0], str):
            self.answer_invalid(eio_sid, data, "an event must be a list that starts with its name")
            return
        if event[0] in _RESERVED_EVENTS or event[0] not in server.handlers.get(namespace, {}):
            self.answer_invalid(eio_sid, data, "unknown event")
            return
        sid = server.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is None or not server.manager.is_connected(sid, namespace):
            self.refuse(eio_sid, "an event before connecting")
            return
        slots = self._slots(eio_sid)
        if slots is None:
            return  # the connection is already gone
        read_at = time.perf_counter()
        if not slots.acquire(timeout=SLOT_WAIT_SECONDS):
            self.refuse(eio_sid, "events stuck for too long")
            return
        server.start_background_task(self._run, slots, read_at, sid, eio_sid, event, namespace, pkt.id)

    def _run(self, slots: threading.BoundedSemaphore, read_at: float, *event: Any) -> None:
        try:
            library_patches.run_event(self.server, *event)
        finally:
            slots.release()
            # event = (sid, eio_sid, [name, ...], namespace, ack id); names are registered
            # handlers only (dispatch_event), so the label's values are bounded.
            metrics.SOCKET_EVENT_SECONDS.labels(event=event[2][0]).observe(time.perf_counter() - read_at)

    def _slots(self, eio_sid: str) -> threading.BoundedSemaphore | None:
        connection = self.server.eio.sockets.get(eio_sid)
        if connection is None:
            return None
        slots: threading.BoundedSemaphore | None = getattr(connection, "chatroom_slots", None)
        if slots is None:
            slots = threading.BoundedSemaphore(self.max_in_flight)
            connection.chatroom_slots = slots
        return slots

    def _already_connected(self, eio_sid: str, data: str) -> bool:
        match = _CONNECT_NAMESPACE.match(data)
        namespace = (match.group(1) if match else None) or "/"
        return self.server.manager.sid_from_eio_sid(eio_sid, namespace) is not None

    def answer_invalid(self, eio_sid: str, data: str, reason: str) -> None:
        """An `invalid` ack if the frame carries an ack id and its sender is connected; else close."""
        match = _EVENT_HEADER.match(data)
        namespace = (match.group(1) if match else None) or "/"
        if match is None or self.server.manager.sid_from_eio_sid(eio_sid, namespace) is None:
            self.refuse(eio_sid, reason)
            return
        self.bad_frames.warn("bad socket frame (%d bytes): %s; answered invalid", len(data), reason)
        metrics.ERRORS.labels(code="invalid", transport="socket").inc()
        body = {"ok": False, "error": {"code": "invalid", "message": reason}}
        self.server._send_packet(
            eio_sid, self.server.packet_class(sio_packet.ACK, namespace=namespace, id=int(match.group(2)), data=[body])
        )

    def refuse(self, eio_sid: str, what: str) -> None:
        self.bad_frames.warn("closed a connection that sent %s", what)
        metrics.ERRORS.labels(code="invalid", transport="socket").inc()
        self.close(eio_sid)

    def close(self, eio_sid: str, grace: float = CLOSE_GRACE_SECONDS) -> None:
        """Close a connection now; cut its TCP connection if the client has not closed its end after `grace`."""
        connection = self.server.eio.sockets.get(eio_sid)
        if connection is None:
            return
        ws = library_patches.websocket_of(connection)
        self.server.eio.disconnect(eio_sid)
        if ws is not None:
            self.server.start_background_task(self._cut, ws, grace)

    def _cut(self, ws: Any, grace: float) -> None:
        if grace:
            self.server.sleep(grace)
        with contextlib.suppress(OSError):
            ws.sock.shutdown(socket.SHUT_RDWR)
