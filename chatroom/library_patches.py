"""Every change Chatroom makes to the internals of gevent, simple-websocket, python-engineio,
python-socketio and limits, in one place, checked at start.

The libraries give no public hook for what these patches do (whole frames under gevent, a
shared broadcast frame, a message-size limit, per-connection budgets, a clean end of a
websocket's HTTP connection). Each patch wraps one attribute; `check_library_internals()`
runs before anything is patched and refuses to start, naming the library, its version and
the attribute, when an upgrade removed one or changed its parameters.

Rules that correctness rests on (gevent is cooperative: a greenlet runs until it blocks):

- **No yield between a check and the write it allows.** `CompleteSends.send_now` looks at
  the connection's lock, then writes with one non-blocking `send` on the OS socket: neither
  step can switch greenlets, so no other write can start between them. Code added between
  the check and the write must not block, log to a socket, or take a lock. The same holds
  in `DirectBroadcast` (chatroom.realtime.fanout) between "this client's engine.io queue is
  empty" and `send_now`, and in the queued-bytes budget between reading and storing a
  connection's count.
- **Which greenlet releases which lock.** A connection's write lock (`CompleteSends.lock`,
  a `threading.Lock`, which gevent makes a non-reentrant semaphore that any greenlet may
  release) is taken and released by the same greenlet in `send`. When a direct write is
  only partly accepted, the broadcaster takes the lock and a new greenlet (`_finish`)
  releases it once the rest of the frame is out: the lock is then owned by the frame, not
  by a greenlet. A connection's event slots (`EventSlots`) are taken by its reader greenlet
  and released by the greenlet that ran the event.
- **Never wait for a client inside the library.** engine.io's `disconnect()` waits until the
  client fetched its queue; here it never waits (see `never_wait_on_disconnect`).
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import importlib.metadata
import inspect
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from limits.storage.memory import MemoryStorage

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class LibraryMismatchError(RuntimeError):
    """An installed library no longer has an attribute Chatroom patches, with its parameters."""


@dataclass(frozen=True)
class PatchTarget:
    """One attribute of a library that a patch here wraps or replaces."""

    distribution: str  # the package name on PyPI, for its version
    module: str
    path: str  # attribute path inside the module, "Class.method"
    parameters: tuple[str, ...] | None  # None: must exist, any signature


TARGETS: tuple[PatchTarget, ...] = (
    PatchTarget("gevent", "gevent.pywsgi", "WSGIServer.handle", ("self", "sock", "address")),
    PatchTarget("gevent", "gevent.pywsgi", "WSGIHandler.handle_one_request", ("self",)),
    PatchTarget(
        "simple-websocket",
        "simple_websocket.ws",
        "Server.__init__",
        (
            "self",
            "environ",
            "subprotocols",
            "receive_bytes",
            "ping_interval",
            "max_message_size",
            "thread_class",
            "event_class",
            "selector_class",
        ),
    ),
    PatchTarget("simple-websocket", "simple_websocket.ws", "PerMessageDeflate", None),
    PatchTarget("simple-websocket", "simple_websocket.ws", "Base._handle_events", ("self",)),
    PatchTarget("simple-websocket", "simple_websocket.ws", "Base.receive", ("self", "timeout")),
    PatchTarget("simple-websocket", "simple_websocket.ws", "Base._thread", ("self",)),
    PatchTarget("simple-websocket", "simple_websocket.ws", "Base.close", ("self", "reason", "message")),
    PatchTarget(
        "python-engineio",
        "engineio.async_drivers._websocket_wsgi",
        "SimpleWebSocketWSGI.__init__",
        ("self", "handler", "server", "kwargs"),
    ),
    PatchTarget(
        "python-engineio",
        "engineio.async_drivers._websocket_wsgi",
        "SimpleWebSocketWSGI.__call__",
        ("self", "environ", "start_response"),
    ),
    PatchTarget("python-engineio", "engineio.socket", "Socket.send", ("self", "pkt")),
    PatchTarget("python-engineio", "engineio.socket", "Socket.schedule_ping", ("self",)),
    PatchTarget("python-engineio", "engineio.socket", "Socket._send_ping", ("self",)),
    PatchTarget("python-engineio", "engineio.socket", "Socket.poll", ("self",)),
    PatchTarget("python-engineio", "engineio.socket", "Socket.close", ("self", "wait", "abort", "reason")),
    PatchTarget("python-engineio", "engineio.server", "Server.disconnect", ("self", "sid")),
    PatchTarget("python-engineio", "engineio.server", "Server._trigger_event", ("self", "event", "args", "kwargs")),
    PatchTarget("python-socketio", "socketio.server", "Server._send_packet", ("self", "eio_sid", "pkt")),
    PatchTarget("python-socketio", "socketio.server", "Server._send_eio_packet", ("self", "eio_sid", "eio_pkt")),
    PatchTarget("python-socketio", "socketio.server", "Server._trigger_event", ("self", "event", "namespace", "args")),
    PatchTarget(
        "python-socketio",
        "socketio.server",
        "Server._handle_event_internal",
        ("self", "server", "sid", "eio_sid", "data", "namespace", "id"),
    ),
    PatchTarget("python-socketio", "socketio.server", "Server._handle_eio_message", ("self", "eio_sid", "data")),
    PatchTarget("python-socketio", "socketio.server", "Server._handle_eio_connect", ("self", "eio_sid", "environ")),
    PatchTarget("python-socketio", "socketio.server", "Server._handle_eio_disconnect", ("self", "eio_sid", "reason")),
    PatchTarget("limits", "limits.storage.memory", "MemoryStorage._MemoryStorage__schedule_expiry", ("self",)),
    PatchTarget("limits", "limits.storage.memory", "MemoryStorage._MemoryStorage__expire_events", ("self",)),
)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _resolve(module: Any, path: str) -> Any:
    target = module
    for name in path.split("."):
        target = getattr(target, name)
    return target


def check_target(target: PatchTarget, module: Any | None = None) -> str | None:
    """What is wrong with one target in the installed library (or in `module`), or None."""
    where = f"{target.distribution} {_version(target.distribution)}: {target.module}.{target.path}"
    try:
        found = _resolve(module if module is not None else importlib.import_module(target.module), target.path)
    except (ImportError, AttributeError):
        return f"{where} is missing"
    if target.parameters is None:
        return None
    try:
        parameters = tuple(inspect.signature(found).parameters)
    except (TypeError, ValueError):
        return f"{where} is no longer a function"
    if parameters != target.parameters:
        return f"{where} takes ({', '.join(parameters)}), expected ({', '.join(target.parameters)})"
    return None


def check_library_internals(targets: Iterable[PatchTarget] = TARGETS) -> None:
    """Refuse to start if a library upgrade moved an attribute that a patch here relies on."""
    problems = [problem for target in targets if (problem := check_target(target)) is not None]
    if problems:
        raise LibraryMismatchError(
            "a library changed under Chatroom's patches (chatroom/library_patches.py); "
            "pin the version in requirements.txt or update the patch: " + "; ".join(problems)
        )


def _patch_once(owner: Any, name: str, replacement: Callable[..., Any]) -> bool:
    """Replace owner.name unless a replacement from here is already in place."""
    if getattr(getattr(owner, name), "_chatroom_patch", False):
        return False
    replacement._chatroom_patch = True  # type: ignore[attr-defined]
    setattr(owner, name, replacement)
    return True


# --- gevent's WSGI server ---------------------------------------------------------------


def patch_gevent_server(header_timeout: float) -> None:
    """TCP_NODELAY and an idle timeout on every accepted connection; close after a websocket.

    An ack and a broadcast leave back to back as two small websocket frames; with Nagle's
    algorithm on, the second waits for the client's delayed ACK (about 40 ms on Linux).
    The timeout bounds every read and write of gevent's HTTP handler on that socket (the
    request line, the headers, a body, keep-alive idling), so a client that opens a
    connection and dribbles its headers is dropped after `header_timeout` seconds of
    silence. A websocket reads and writes through its own duplicate of the socket, which
    has no timeout (engine.io's pings watch it).

    After a websocket ends, gevent would read what follows on the connection as the next
    HTTP request: the client's close reply then logs "Invalid HTTP method" and a broken
    pipe on every close. The connection is closed instead.
    """
    from gevent import pywsgi

    original_handle = pywsgi.WSGIServer.handle

    def handle(self: Any, sock: Any, address: Any) -> Any:
        # OSError: a unix socket, or one the peer already closed.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(header_timeout)
        return original_handle(self, sock, address)

    _patch_once(pywsgi.WSGIServer, "handle", handle)
    original_request = pywsgi.WSGIHandler.handle_one_request

    def handle_one_request(self: Any) -> Any:
        result = original_request(self)
        environ = getattr(self, "environ", None)
        # Keyed on the request, not on how the websocket ended: whichever side closed it and
        # whenever the app returned, what follows an upgrade is websocket bytes, never HTTP.
        if result is True and environ is not None and environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            return None
        return result

    _patch_once(pywsgi.WSGIHandler, "handle_one_request", handle_one_request)


# --- simple-websocket -------------------------------------------------------------------


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
        Between the lock check and the send nothing may yield (see the module's rules).
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
            # connection's next frame waits behind it; the broadcaster does not wait. The
            # lock is released by that greenlet, not by the one that took it.
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

    original = ws.Server.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        # The socket is a duplicate of the HTTP connection's and inherits its idle timeout
        # (patch_gevent_server); a websocket may be quiet for long, and engine.io's pings
        # find dead peers. Under gevent the reader started by __init__ has not run yet: it
        # sees the wrapper and the timeout change too.
        one_descriptor(self)
        with contextlib.suppress(OSError):
            self.sock.settimeout(None)
        self.sock = CompleteSends(self.sock)
        release_request_buffer(self.environ)

    _patch_once(ws.Server, "__init__", init)

    original_close = ws.Base.close

    def close(self: Any, reason: Any = None, message: Any = None) -> None:
        # The library ignores a broken pipe here but not a reset: a client that vanished
        # while its connection was being closed (a phone losing signal, a killed tab) left
        # a traceback per connection. Either way the connection is gone.
        try:
            original_close(self, reason, message)
        except ConnectionResetError:
            self.connected = False

    _patch_once(ws.Base, "close", close)


class InlineReader:
    """simple-websocket's reader thread, not started: `receive` reads in the caller instead.

    simple-websocket reads each connection in a thread (a greenlet under gevent) of its own,
    which fills a list that engine.io's handler greenlet empties. That is one more saved
    stack per connection, and the list has no bound: a client that pipelines frames faster
    than its events run (the handler waits for a free event slot, realtime/guard.py) is
    read on regardless. Read by the handler itself, the socket is read only as fast as its
    events are taken, and the kernel's buffers push back on the client.
    """

    def __init__(self, target: Callable[[], None]) -> None:
        self.name = "(_thread)"  # simple-websocket renames it

    def start(self) -> None:
        pass


def read_inline() -> None:
    """Let a websocket built with InlineReader read its socket in `receive` (see InlineReader)."""
    from simple_websocket import ws
    from wsproto.utilities import LocalProtocolError

    original = ws.Base.receive

    def receive(self: Any, timeout: float | None = None) -> Any:
        if not isinstance(getattr(self, "thread", None), InlineReader):
            return original(self, timeout)
        # The body of the library's reader loop (Base._thread without its optional pings,
        # which engine.io does not use), run until a whole message is there.
        while self.connected and not self.input_buffer:
            try:
                data = self.sock.recv(self.receive_bytes)
                if not data:
                    raise OSError("the peer closed the connection")
                self.ws.receive_data(data)
                self.connected = self._handle_events()
            except (OSError, LocalProtocolError):
                self.connected = False
        if self.input_buffer:
            return self.input_buffer.pop(0)
        with contextlib.suppress(OSError):
            self.sock.close()
        raise ws.ConnectionClosed(self.close_reason, self.close_message)

    _patch_once(ws.Base, "receive", receive)


def one_descriptor(websocket: Any) -> None:
    """Use the HTTP request's own socket for a websocket, not simple-websocket's duplicate.

    Under gevent, simple-websocket duplicates the request's socket, so every websocket held
    two file descriptors for one TCP connection: 10,000 clients needed 20,000, and past
    the process's limit gevent's accept loop failed and backed off for a second at a time.
    The duplicate is closed at once; the request's socket is read and written as the
    duplicate was, and gevent's handler closes it when the websocket ends, as before.
    """
    if getattr(websocket, "mode", None) != "gevent":
        return
    # Where simple-websocket found it: gevent's reader of the request (or the Input around it).
    wsgi_input = websocket.environ.get("wsgi.input")
    reader = getattr(wsgi_input, "rfile", wsgi_input)
    request_socket = getattr(getattr(reader, "raw", None), "_sock", None)
    if request_socket is None or request_socket is websocket.sock:
        return
    duplicate, websocket.sock = websocket.sock, request_socket
    with contextlib.suppress(OSError):
        duplicate.close()


def release_request_buffer(environ: dict[str, Any]) -> None:
    """Close gevent's buffered reader of a request that became a websocket.

    The websocket reads a duplicate of the socket, so the HTTP request's reader is never read
    again, yet its 8 KiB buffer lived as long as the connection. Closing the reader frees
    it and leaves the socket open (the reader only drops its reference); gevent's handler
    then sees a closed reader after the websocket ends and closes the connection, as it
    does already (patch_gevent_server).
    """
    wsgi_input = environ.get("wsgi.input")
    reader = getattr(wsgi_input, "rfile", wsgi_input)
    if reader is not None and hasattr(reader, "raw"):
        with contextlib.suppress(OSError, ValueError):
            reader.close()


def decline_websocket_compression() -> None:
    """Never agree to permessage-deflate.

    simple-websocket offers it to every client that asks, and inflates each compressed
    chunk before its message-size check: a 200 KB upload can inflate to 200 MB. Without
    the extension, a frame with the compression bit set is a protocol error that closes
    the connection, and the message limit counts the bytes that arrive. Chat frames are
    small; compression would save little. The module-level name is what simple-websocket's
    server side looks up; a simple-websocket client in this process would offer compression
    it then refuses, and the server process runs none.
    """
    from simple_websocket import ws
    from wsproto.extensions import PerMessageDeflate

    class DeclinedDeflate(PerMessageDeflate):
        _chatroom_patch = True

        def accept(self, offer: str) -> bool:
            return False

    if not getattr(ws.PerMessageDeflate, "_chatroom_patch", False):
        ws.PerMessageDeflate = DeclinedDeflate


# --- python-engineio --------------------------------------------------------------------


def track_websockets(eio_server: Any, max_message_size: int) -> None:
    """Give each engine.io socket its websocket, and cap every incoming websocket message.

    engine.io builds the websocket wrapper with the socket's own handler; the wrapper class
    is taken from this server's async driver, so only this server is affected. engine.io
    passes simple-websocket no message limit, so a fragmented message (continuation frames)
    would be buffered whole before engine.io's own size check: with `max_message_size`
    simple-websocket closes the connection (1009) as soon as a message grows past it.
    Each websocket is read by engine.io's handler greenlet itself (InlineReader).
    """
    base = eio_server._async.get("websocket")
    if base is None or getattr(base, "_chatroom_tracked", False):
        return
    read_inline()

    class TrackedWebSocket(base):  # type: ignore[misc, valid-type]
        _chatroom_tracked = True

        def __init__(self, handler: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(handler, *args, **kwargs)
            server_args = getattr(self, "server_args", None)
            if isinstance(server_args, dict):
                server_args["max_message_size"] = max_message_size
                server_args["thread_class"] = InlineReader
            owner = getattr(handler, "__self__", None)
            if owner is not None:
                owner.chatroom_ws = self

    eio_server._async = {**eio_server._async, "websocket": TrackedWebSocket}


def websocket_of(eio_socket: Any) -> Any:
    """The simple_websocket.Server behind an engine.io socket, or None (polling, not yet open)."""
    return getattr(getattr(eio_socket, "chatroom_ws", None), "ws", None)


def never_wait_on_disconnect(eio_server: Any) -> None:
    """engine.io's `disconnect(sid)` closes the socket without waiting for the client.

    The library's disconnect waits until the client has fetched every queued packet. A
    long-polling client that never polls again therefore blocks it forever, and with it the
    request that asked for the disconnect: a polling POST carrying an unknown packet type
    (a single `7`) or a body over the size limit got no answer and held its connection
    and greenlet for good (python-engineio 4.x). A websocket that stopped reading blocked
    the slow-reader sweep the same way. The CLOSE packet still goes out, after what is
    already queued; only the wait is gone.
    """

    def disconnect(sid: str | None = None) -> None:
        sids = [sid] if sid is not None else list(eio_server.sockets)
        for each in sids:
            connection = eio_server.sockets.get(each)
            if connection is not None:
                connection.close(wait=False, reason=eio_server.reason.SERVER_DISCONNECT)
                eio_server.sockets.pop(each, None)

    disconnect._chatroom_patch = True  # type: ignore[attr-defined]
    eio_server.disconnect = disconnect


def bound_queued_bytes(eio_server: Any, budget: int, over_budget: Callable[[Any], None]) -> None:
    """Count the characters waiting in each engine.io socket's queue; refuse past `budget`.

    A packet that would take a connection of `eio_server` past the budget is dropped and
    `over_budget(socket)` is called once; it must not close the connection from inside
    this call (the caller may be iterating a room's members), only schedule it. Reading
    and storing the count does not yield (see the module's rules). Text packets count
    their characters, which is their size in bytes for the ASCII that JSON mostly is.
    """
    eio_server.chatroom_max_queued_bytes = budget
    eio_server.chatroom_over_budget = over_budget
    from engineio import socket as eio_socket

    original_send = eio_socket.Socket.send
    original_poll = eio_socket.Socket.poll

    def send(self: Any, pkt: Any) -> None:
        limit = getattr(self.server, "chatroom_max_queued_bytes", None)
        data = pkt.data
        size = len(data) if isinstance(data, (str, bytes)) else 0
        if limit:
            if getattr(self, "chatroom_cut_off", False):
                return
            queued = getattr(self, "chatroom_queued_bytes", 0) + size
            if queued > limit:
                self.chatroom_cut_off = True
                self.server.chatroom_over_budget(self)
                return
            self.chatroom_queued_bytes = queued
        original_send(self, pkt)

    def poll(self: Any) -> Any:
        packets = original_poll(self)
        if packets:
            taken = sum(len(p.data) for p in packets if isinstance(p.data, (str, bytes)))
            self.chatroom_queued_bytes = max(0, getattr(self, "chatroom_queued_bytes", 0) - taken)
        return packets

    _patch_once(eio_socket.Socket, "send", send)
    _patch_once(eio_socket.Socket, "poll", poll)


class PingTimer:
    """One greenlet that sends every engine.io socket's PING, instead of one sleeper per socket.

    engine.io schedules the next ping of a socket when its PONG arrives, by starting a
    greenlet that sleeps `ping_interval` seconds and sends it: one more saved stack per
    connection, all the time. Every socket waits the same interval, so the sockets due
    form a queue in the order their PONGs arrived; one greenlet sends each PING when its
    time comes, with what the library's sleeper checked (the socket is neither closing
    nor closed) and what it set (`last_ping`, which the service task's timeout check reads).
    """

    def __init__(self, eio_server: Any) -> None:
        self.server = eio_server
        self.due: collections.deque[tuple[float, Any]] = collections.deque()
        self.running = True

    def schedule(self, eio_socket: Any) -> None:
        self.due.append((time.monotonic() + self.server.ping_interval, eio_socket))

    def run(self) -> None:
        from engineio import packet

        while self.running:
            if not self.due:
                # Anything scheduled meanwhile is due a whole interval later.
                self.server.sleep(self.server.ping_interval)
                continue
            wait = self.due[0][0] - time.monotonic()
            if wait > 0:
                self.server.sleep(wait)
                continue
            _, eio_socket = self.due.popleft()
            if not eio_socket.closing and not eio_socket.closed:
                eio_socket.last_ping = time.time()
                try:
                    eio_socket.send(packet.Packet(packet.PING))
                except Exception:  # one socket's failure must not stop everyone's pings
                    logging.getLogger(__name__).exception("could not send a ping")


def ping_from_one_timer(eio_server: Any) -> PingTimer:
    """Send the PINGs of `eio_server`'s sockets from one greenlet (see PingTimer); start it."""
    timer = PingTimer(eio_server)
    eio_server.chatroom_ping_timer = timer
    from engineio import socket as eio_socket

    original = eio_socket.Socket.schedule_ping

    def schedule_ping(self: Any) -> None:
        timer_of_server = getattr(self.server, "chatroom_ping_timer", None)
        if timer_of_server is None:
            original(self)
        elif self.last_ping:  # as the library: only after the previous ping's PONG
            self.last_ping = None
            timer_of_server.schedule(self)

    _patch_once(eio_socket.Socket, "schedule_ping", schedule_ping)
    eio_server.start_background_task(timer.run)
    return timer


def screen_connections(
    eio_server: Any, admit: Callable[[str, dict[str, Any]], str | None], release: Callable[[str], None]
) -> None:
    """Ask `admit(eio_sid, environ)` before engine.io accepts a connection; `release` after it ends.

    `admit` returns None to accept or a reason to refuse (engine.io answers 401 with it).
    """
    handlers = eio_server.handlers
    connect = handlers["connect"]
    disconnect = handlers["disconnect"]

    def on_connect(eio_sid: str, environ: dict[str, Any]) -> Any:
        refusal = admit(eio_sid, environ)
        if refusal is not None:
            return refusal
        return connect(eio_sid, environ)

    def on_disconnect(eio_sid: str, *args: Any) -> Any:
        try:
            return disconnect(eio_sid, *args)
        finally:
            release(eio_sid)

    handlers["connect"] = on_connect
    handlers["disconnect"] = on_disconnect


# --- python-socketio --------------------------------------------------------------------


def route_messages(server: Any, screen: Callable[[str, Any, Callable[[str, Any], None]], None]) -> None:
    """Every Socket.IO message of a connection goes through `screen(eio_sid, data, library)`.

    `library` is python-socketio's own dispatcher for that message. engine.io calls this in
    the connection's reader greenlet (python-socketio turns engine.io's async handlers off),
    so blocking here stops reading from that one connection and nothing else.
    """
    server.eio.handlers["message"] = lambda eio_sid, data: screen(eio_sid, data, server._handle_eio_message)


def run_event(server: Any, sid: str, eio_sid: str, data: list[Any], namespace: str, ack_id: int | None) -> None:
    """Run one decoded event through python-socketio (handler, then its ack), in this greenlet."""
    server._handle_event_internal(server, sid, eio_sid, data, namespace, ack_id)


def route_acks(server: Any, write: Callable[[str, Any], bool]) -> None:
    """Offer every Socket.IO ACK packet to `write(eio_sid, packet)` first.

    `write` returns True once it sent the packet; otherwise the library sends it.
    """
    from socketio import packet as sio_packet

    library_send = server._send_packet

    def send_packet(eio_sid: str, pkt: Any) -> None:
        if pkt.packet_type == sio_packet.ACK and write(eio_sid, pkt):
            return
        library_send(eio_sid, pkt)

    server._send_packet = send_packet


def wrap_event_dispatch(server: Any, around: contextlib.AbstractContextManager[Any]) -> None:
    """Run every Socket.IO event handler of `server` inside `with around`.

    Every handler, whether bound through Flask-SocketIO or on python-socketio directly,
    goes through this one method of the server.
    """
    trigger_event = server._trigger_event

    def tracked_event(*args: Any, **kwargs: Any) -> Any:
        with around:
            return trigger_event(*args, **kwargs)

    server._trigger_event = tracked_event


def wrap_flask_app(socketio: Any, around: contextlib.AbstractContextManager[Any]) -> None:
    """Run every plain HTTP request (not /socket.io) inside `with around`.

    Flask-SocketIO's middleware answers /socket.io itself and hands every other request to
    the Flask app it wraps: wrapping that inner app leaves long-lived websockets out.
    """
    middleware = socketio.sockio_mw
    flask_wsgi: WSGIApp = middleware.wsgi_app

    def tracked_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with around:
            return flask_wsgi(environ, start_response)

    middleware.wsgi_app = tracked_wsgi


MEMORY_LIMITS_SCHEME = "chatroom-memory"


class PacedMemoryStorage(MemoryStorage):
    """limits' in-process storage, with its clean-up pass run once a second.

    MemoryStorage re-arms a 10 ms timer on every hit, and each run walks every key. Under
    an attack that keeps many keys busy (one server, no Redis), that walk took 17% of the
    process and held the gevent loop for milliseconds at a time, which set the other
    clients' ack p99. The pass only frees memory: every read checks expiry times itself
    (`get`, `acquire_entry`, `get_moving_window`), so running it less often changes no
    answer. Used for `chatroom-memory://`, the storage when no Redis is configured.
    """

    STORAGE_SCHEME = [MEMORY_LIMITS_SCHEME]  # noqa: RUF012 - the registry reads a class list
    EXPIRY_INTERVAL_SECONDS = 1.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - the library's private name
        if not self.timer.is_alive():
            expire = getattr(self, "_MemoryStorage__expire_events")  # noqa: B009 - a mangled private name
            self.timer = threading.Timer(self.EXPIRY_INTERVAL_SECONDS, expire)
            self.timer.daemon = True
            self.timer.start()
