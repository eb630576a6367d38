"""Graceful shutdown of a gevent server process on SIGTERM (and SIGINT).

What a stopping process owes its clients, in order:

1. Stop accepting: the listening socket closes, so the balancer (or the kernel) sends new
   connections to another process.
2. Finish in-flight work: Socket.IO events and HTTP requests already running get up to
   `grace` seconds to commit and send their acks.
3. End every Socket.IO connection's transport. Clients see a dropped transport, not a
   server-initiated disconnect, so socket.io-client (and python-socketio) reconnect, through
   the balancer, to a live process and catch up with `join {after_seq}`.

A write that had not committed when the grace ran out is rolled back by PostgreSQL; its
sender never got an ack and retries with the same client_id, so nothing acknowledged is lost.
"""

from __future__ import annotations

import logging
import signal
import time

import gevent
from flask_socketio import SocketIO
from gevent.event import Event

from chatroom import broadcaster, library_patches

log = logging.getLogger("chatroom.server")


class InFlight:
    """Counts the Socket.IO events and HTTP requests this process is running."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = Event()
        self._idle.set()

    def __enter__(self) -> None:
        self.count += 1
        self._idle.clear()

    def __exit__(self, *_: object) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    def wait_idle(self, timeout: float) -> bool:
        return bool(self._idle.wait(timeout))


class GracefulShutdown:
    def __init__(self, socketio: SocketIO, grace: float) -> None:
        self.socketio = socketio
        self.grace = grace
        self.in_flight = InFlight()
        self.started = False
        self.done = Event()

    def install(self) -> None:
        """Track in-flight HTTP requests and Socket.IO events; catch SIGTERM and SIGINT.

        Call after create_app() bound the SocketIO instance to the app.
        """
        library_patches.wrap_flask_app(self.socketio, self.in_flight)
        library_patches.wrap_event_dispatch(self.socketio.server, self.in_flight)
        for signum in (signal.SIGTERM, signal.SIGINT):
            gevent.signal_handler(signum, self.begin, signum)

    def begin(self, signum: int = signal.SIGTERM) -> None:
        if self.started:
            return
        self.started = True
        gevent.spawn(self._drain, signal.Signals(signum).name)

    def _drain(self, reason: str) -> None:
        started = time.monotonic()
        server = getattr(self.socketio, "wsgi_server", None)
        sockets = len(self.socketio.server.eio.sockets)
        log.info(
            "%s: shutting down; no new connections, %d in flight, %d sockets", reason, self.in_flight.count, sockets
        )
        try:
            if server is not None:
                server.close()
            if not self.in_flight.wait_idle(self.grace):
                log.warning(
                    "shutdown: %d still in flight after %.0f s; stopping anyway", self.in_flight.count, self.grace
                )
            broadcaster.flush()  # vote totals held back for pacing go out before the sockets close
            self._drop_connections()
            log.info("shutdown: closed %d sockets in %.2f s", sockets, time.monotonic() - started)
        finally:
            self.done.set()

    def _drop_connections(self) -> None:
        # Neither a Socket.IO disconnect nor an Engine.IO close packet: clients treat both as
        # "the server sent me away" and python-socketio then gives up. A transport that just
        # ends (abort) is what every client reconnects after.
        eio = self.socketio.server.eio
        for sid, connection in list(eio.sockets.items()):
            connection.close(wait=False, abort=True)
            eio.sockets.pop(sid, None)

    def wait(self) -> None:
        """Called when the server loop returns: let the drain finish before the process exits."""
        if self.started:
            self.done.wait(self.grace + 5)
