"""`Client`: the blocking client, on httpx and python-socketio's threaded client."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx
import socketio

from chatroom_client import protocol
from chatroom_client.errors import (
    AckTimeoutError,
    ChatroomError,
    ConnectionLostError,
    NotConnectedError,
    TransportError,
)
from chatroom_client.events import Disconnected, Event, Reconnected
from chatroom_client.protocol import HttpCall, LiveState, Retry, SocketCall
from chatroom_client.timeline import RoomTimeline
from chatroom_client.types import Account, Joined, Message, NewToken, Page, Room, Token, User, Vote

T = TypeVar("T")


class _Pending:
    """One emitted request waiting for its ack; the first of ack and disconnect wins."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.lost = False
        self.value: Any = None
        self._lock = threading.Lock()

    def resolve(self, *args: Any) -> None:
        with self._lock:
            if not self.done.is_set():
                self.value = args[0] if args else None
                self.done.set()

    def lose(self) -> None:
        with self._lock:
            if not self.done.is_set():
                self.lost = True
                self.done.set()


class Client:
    """A Chatroom client for scripts and bots (blocking). `AsyncClient` has the same methods.

    Log in with `login(email, password)` (a cookie session), or pass `token="chr_..."`.
    `join` connects the socket when needed. After a dropped connection the client reconnects
    by itself and catches every joined room up with `after_seq`; so does a gap in a room's
    seq that stays open for `gap_patience` seconds. `send` retries with the same `client_id`
    for up to `retry_for` seconds, so a message is never lost and never stored twice.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        retry_for: float = 60.0,
        reconnect: bool = True,
        reconnect_delay: float = 0.5,
        reconnect_delay_max: float = 5.0,
        transports: Sequence[str] = ("websocket",),
        gap_patience: float = 1.0,
        http: httpx.Client | None = None,
        sio: Any = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retry_for = retry_for
        self.transports = list(transports)
        self._own_http = http is None
        self.http: httpx.Client = http if http is not None else httpx.Client(timeout=timeout)
        self.sio: Any = sio or socketio.Client(
            reconnection=reconnect,
            reconnection_delay=reconnect_delay,
            reconnection_delay_max=reconnect_delay_max,
            randomization_factor=0.1,
            handle_sigint=False,
        )
        self._events: queue.Queue[Event | ChatroomError] = queue.Queue()
        self.state = LiveState(self._events.put, gap_patience=gap_patience)
        self._pending: set[_Pending] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._wake = threading.Event()
        self._catch_up_all = False
        self._ever_connected = False
        self._server_dropped = False
        self._maintainer: threading.Thread | None = None
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("connect_error", self._on_connect_error)
        self.sio.on("*", self._on_event)

    # -- accounts and tokens (HTTP) ------------------------------------------------------------

    def signup(self, email: str, username: str, password: str) -> Account:
        return self._http(protocol.signup(email, username, password))

    def login(self, email: str, password: str) -> Account:
        return self._http(protocol.login(email, password))

    def logout(self) -> None:
        self._http(protocol.logout())

    def me(self) -> Account:
        return self._http(protocol.me())

    def create_token(self, name: str) -> NewToken:
        return self._http(protocol.create_token(name))

    def tokens(self) -> list[Token]:
        return self._http(protocol.tokens())

    def revoke_token(self, token_id: int) -> None:
        self._http(protocol.revoke_token(token_id))

    # -- rooms and history (HTTP) --------------------------------------------------------------

    def rooms(self) -> list[Room]:
        return self._http(protocol.rooms())

    def room(self, slug: str) -> Room:
        return self._http(protocol.room(slug))

    def create_room(self, name: str, topic: str | None = None) -> Room:
        return self._http(protocol.create_room(name, topic))

    def history(self, room: str, *, before: int | None = None, limit: int = 50) -> Page:
        """One page of messages older than `before` (the newest when None), oldest first."""
        return self._http(self.state.history(room, before, limit))

    def iter_history(self, room: str, *, page_size: int = 100) -> Iterator[Message]:
        """Every message of the room once, newest first, paging back as it goes."""
        before: int | None = None
        while True:
            page = self.history(room, before=before, limit=page_size)
            yield from reversed(page.messages)
            before = protocol.oldest_id(page)
            if not page.has_more or before is None:
                return

    def top(self, room: str, *, window: str = "day", limit: int = 50, offset: int = 0) -> Page:
        """The room's Top view (`GET /api/rooms/<slug>/top`), in rank order."""
        return self._http(protocol.top(room, window, limit, offset))

    def mentions(self, *, before: int | None = None, limit: int = 50) -> Page:
        """Messages that mention the reader, newest first, across rooms (`GET /api/mentions`):
        older than id `before` when given."""
        return self._http(protocol.mentions(before, limit))

    def find_users(self, prefix: str = "", *, limit: int = 10) -> list[User]:
        """People whose username starts with `prefix`, ignoring case, by username."""
        return self._http(protocol.find_users(prefix, limit))

    # -- live (Socket.IO) ----------------------------------------------------------------------

    def join(self, room: str) -> Joined:
        """Subscribe to the room. Once it has a watermark, a join is a catch-up (`after_seq`)."""
        return self._request(self.state.join(room))

    def leave(self, room: str) -> None:
        self._request(self.state.leave(room))

    def send(self, room: str, body: str, *, client_id: str | None = None) -> Message:
        """Send a message; retried with the same `client_id` until acknowledged or `retry_for` passes."""
        return self._request(self.state.send(room, body, client_id or protocol.new_client_id()))

    def upvote(self, message_id: int) -> Vote:
        """A toggle: resent only when it certainly did not reach the server."""
        return self._request(self.state.vote(message_id, up=True))

    def downvote(self, message_id: int) -> Vote:
        return self._request(self.state.vote(message_id, up=False))

    def mark_read(self, room: str, message_id: int) -> int:
        """Record the read position; returns the unread count."""
        return self._request(protocol.mark_read(room, message_id))

    def typing(self, room: str) -> None:
        self._request(protocol.typing(room))

    def timeline(self, room: str) -> RoomTimeline:
        """The client's copy of a room: every message held, in its latest state, and the watermark."""
        return self.state.timeline(room)

    def events(self, *, timeout: float | None = None) -> Iterator[Event]:
        """Live events of the joined rooms, until `close()` or for `timeout` seconds.

        Raises `SessionEndedError` (or the server's refusal, e.g. `UnauthorizedError` for a revoked
        token) when the client cannot go on.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            event = self.next_event(timeout=remaining)
            if event is None:
                if self._closed.is_set() or deadline is not None:
                    return
                continue
            yield event

    def next_event(self, timeout: float | None = None) -> Event | None:
        """The next live event, or None after `timeout` seconds (or once closed)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._closed.is_set():
            wait = 0.25 if deadline is None else min(0.25, deadline - time.monotonic())
            if wait <= 0:
                return None
            try:
                item = self._events.get(timeout=wait)
            except queue.Empty:
                continue
            if isinstance(item, ChatroomError):
                raise item
            return item
        return None

    def emit_raw(self, event: str, payload: Any, *, timeout: float | None = None) -> Any:
        """Emit any event and return its ack as received (no retry, no error raised for `ok: false`)."""
        return self._emit(event, payload, timeout)

    def add_listener(self, listener: Callable[[str, Any], None]) -> None:
        """Call `listener(name, payload)` with every server event as it arrives, before it is
        applied, and with `("connect_error", payload)` when the server refuses a connection."""
        self.state.listeners.append(listener)

    def connect(self, *, transports: Sequence[str] | None = None) -> None:
        """Open the socket (`join` does it when needed)."""
        if self.sio.connected:
            return
        self.state.refused = None
        try:
            self.sio.connect(
                self.url,
                headers=self._socket_headers,
                auth=protocol.socket_auth(self.token),
                transports=list(transports or self.transports),
                wait_timeout=self.timeout,
            )
        except socketio.exceptions.ConnectionError as exc:
            raise (self.state.refused or NotConnectedError(str(exc))) from exc
        self._server_dropped = False
        if self._maintainer is None:
            self._maintainer = threading.Thread(target=self._maintain, name="chatroom-client", daemon=True)
            self._maintainer.start()

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    def close(self) -> None:
        """Disconnect and stop reconnecting. The websocket's closing handshake finishes in the background."""
        self._closed.set()
        self._wake.set()
        self.sio.reconnection = False
        threading.Thread(target=self.sio.shutdown, daemon=True).start()
        if self._own_http:
            self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------

    def _http(self, call: HttpCall[T]) -> T:
        try:
            response = self.http.request(
                call.method,
                self.url + call.path,
                json=call.json,
                params=call.params or None,
                headers=protocol.http_headers(self.url, self.token),
            )
        except httpx.TimeoutException as exc:
            raise AckTimeoutError(f"{call.method} {call.path}: {exc}") from exc
        except httpx.TransportError as exc:
            raise NotConnectedError(f"{call.method} {call.path}: {exc}") from exc
        return call.read(protocol.read_http(response.status_code, response.headers, response.content))

    def _request(self, call: SocketCall[T]) -> T:
        retry = Retry(call.retry, self.retry_for)
        while True:
            try:
                return call.read(protocol.read_ack(self._emit(call.event, call.payload, None)))
            except ChatroomError as error:
                delay = retry.after(error)
                if delay is None or self._closed.wait(delay):
                    raise

    def _emit(self, event: str, payload: Any, timeout: float | None) -> Any:
        self._ensure_connected()
        pending = _Pending()
        with self._lock:
            self._pending.add(pending)
        try:
            try:
                self.sio.emit(event, payload, callback=pending.resolve)
            except socketio.exceptions.BadNamespaceError as exc:
                raise NotConnectedError(event) from exc
            if not pending.done.wait(self.timeout if timeout is None else timeout):
                raise AckTimeoutError(event)
            if pending.lost:
                raise ConnectionLostError(event)
            return pending.value
        finally:
            with self._lock:
                self._pending.discard(pending)

    def _ensure_connected(self) -> None:
        if self.sio.connected:
            return
        if self.state.ended is not None:
            raise self.state.ended
        if self._closed.is_set() or (self._ever_connected and self.sio.reconnection):
            # The socket reconnects by itself; the request waits for it through its retries.
            raise NotConnectedError("not connected")
        self.connect()

    def _reconnect_after_server_disconnect(self) -> None:
        # python-socketio reconnects after a dropped transport, not after the server closed
        # the connection on purpose (a slow reader, a revoked token): reconnect as after a drop,
        # and a refusal ends the client through `final` above.
        try:
            self.connect()
        except ChatroomError:
            self._pause(1.0)

    def _pause(self, seconds: float) -> None:
        self._closed.wait(seconds)

    def _socket_headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar)
        return protocol.socket_headers(cookie)

    # -- socket handlers (python-socketio runs each in its own thread) ---------------------------

    def _on_connect(self) -> None:
        self.state.refused = None
        if self._ever_connected:
            self._catch_up_all = True
            self._events.put(Reconnected())
            self._wake.set()
        self._ever_connected = True

    def _on_disconnect(self, reason: Any = None) -> None:
        self._server_dropped = reason == self.sio.reason.SERVER_DISCONNECT
        with self._lock:
            pending = list(self._pending)
        for waiting in pending:
            waiting.lose()
        self._events.put(Disconnected(str(reason)))
        self._wake.set()

    def _on_connect_error(self, data: Any = None) -> None:
        self.state.on_connect_error(data)
        self._wake.set()

    def _on_event(self, name: str, *args: Any) -> None:
        self.state.on_server_event(name, args[0] if args else None)
        if self.state.ended is not None:
            self._wake.set()

    def _maintain(self) -> None:
        """Catch the joined rooms up after a reconnect or a lost broadcast; stop when the session ends."""
        while not self._closed.is_set():
            self._wake.wait(0.2)
            self._wake.clear()
            if self._closed.is_set():
                return
            final = self.state.ended or (self.state.refused if self.state.refusal_is_final() else None)
            if final is not None and self._ever_connected:
                self.sio.reconnection = False
                self._events.put(final)
                self.sio.shutdown()
                return
            if not self.sio.connected:
                if self._server_dropped and self.sio.reconnection:
                    self._reconnect_after_server_disconnect()
                continue
            catch_up_all, self._catch_up_all = self._catch_up_all, False
            rooms = self.state.joined_rooms() if catch_up_all else self.state.stale_rooms()
            for room in rooms:
                try:
                    self._request(self.state.join(room))
                except TransportError:
                    self._catch_up_all = True
                except ChatroomError:
                    # The room is gone or refused us: stop following it.
                    self.state.forget(room)
