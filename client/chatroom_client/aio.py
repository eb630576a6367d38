"""`AsyncClient`: the asyncio client, on httpx and python-socketio's asyncio client.

The same methods as `Client`, awaited; the requests, the answers, the retry rule and the
timelines are the shared ones in `protocol` and `timeline`."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
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


class AsyncClient:
    """The asyncio twin of `Client`: the same methods and behaviour, awaited."""

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
        http: httpx.AsyncClient | None = None,
        sio: Any = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retry_for = retry_for
        self.transports = list(transports)
        self._own_http = http is None
        self.http: httpx.AsyncClient = http if http is not None else httpx.AsyncClient(timeout=timeout)
        self.sio: Any = sio or socketio.AsyncClient(
            reconnection=reconnect,
            reconnection_delay=reconnect_delay,
            reconnection_delay_max=reconnect_delay_max,
            randomization_factor=0.1,
            handle_sigint=False,
        )
        self._events: asyncio.Queue[Event | ChatroomError] = asyncio.Queue()
        self.state = LiveState(self._events.put_nowait, gap_patience=gap_patience)
        self._pending: set[asyncio.Future[Any]] = set()
        self._closed = asyncio.Event()
        self._wake = asyncio.Event()
        self._catch_up_all = False
        self._ever_connected = False
        self._server_dropped = False
        self._maintainer: asyncio.Task[None] | None = None
        self._getter: asyncio.Future[Event | ChatroomError] | None = None
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("connect_error", self._on_connect_error)
        self.sio.on("*", self._on_event)

    # -- accounts and tokens (HTTP) ------------------------------------------------------------

    async def signup(self, email: str, username: str, password: str) -> Account:
        return await self._http(protocol.signup(email, username, password))

    async def login(self, email: str, password: str) -> Account:
        return await self._http(protocol.login(email, password))

    async def logout(self) -> None:
        await self._http(protocol.logout())

    async def me(self) -> Account:
        return await self._http(protocol.me())

    async def create_token(self, name: str) -> NewToken:
        return await self._http(protocol.create_token(name))

    async def tokens(self) -> list[Token]:
        return await self._http(protocol.tokens())

    async def revoke_token(self, token_id: int) -> None:
        await self._http(protocol.revoke_token(token_id))

    # -- rooms and history (HTTP) --------------------------------------------------------------

    async def rooms(self) -> list[Room]:
        return await self._http(protocol.rooms())

    async def room(self, slug: str) -> Room:
        return await self._http(protocol.room(slug))

    async def create_room(self, name: str, topic: str | None = None) -> Room:
        return await self._http(protocol.create_room(name, topic))

    async def history(self, room: str, *, before: int | None = None, limit: int = 50) -> Page:
        return await self._http(self.state.history(room, before, limit))

    async def iter_history(self, room: str, *, page_size: int = 100) -> AsyncIterator[Message]:
        before: int | None = None
        while True:
            page = await self.history(room, before=before, limit=page_size)
            for message in reversed(page.messages):
                yield message
            before = protocol.oldest_id(page)
            if not page.has_more or before is None:
                return

    async def top(self, room: str, *, window: str = "day", limit: int = 50, offset: int = 0) -> Page:
        return await self._http(protocol.top(room, window, limit, offset))

    async def mentions(self, *, before: int | None = None, limit: int = 50) -> Page:
        return await self._http(protocol.mentions(before, limit))

    async def find_users(self, prefix: str = "", *, limit: int = 10) -> list[User]:
        return await self._http(protocol.find_users(prefix, limit))

    # -- live (Socket.IO) ----------------------------------------------------------------------

    async def join(self, room: str) -> Joined:
        return await self._request(self.state.join(room))

    async def leave(self, room: str) -> None:
        await self._request(self.state.leave(room))

    async def send(self, room: str, body: str, *, client_id: str | None = None) -> Message:
        return await self._request(self.state.send(room, body, client_id or protocol.new_client_id()))

    async def upvote(self, message_id: int) -> Vote:
        return await self._request(self.state.vote(message_id, up=True))

    async def downvote(self, message_id: int) -> Vote:
        return await self._request(self.state.vote(message_id, up=False))

    async def mark_read(self, room: str, message_id: int) -> int:
        return await self._request(protocol.mark_read(room, message_id))

    async def typing(self, room: str) -> None:
        await self._request(protocol.typing(room))

    def timeline(self, room: str) -> RoomTimeline:
        return self.state.timeline(room)

    async def events(self, *, timeout: float | None = None) -> AsyncIterator[Event]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            event = await self.next_event(timeout=remaining)
            if event is None:
                if self._closed.is_set() or deadline is not None:
                    return
                continue
            yield event

    async def next_event(self, timeout: float | None = None) -> Event | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._closed.is_set():
            wait = 0.25 if deadline is None else min(0.25, deadline - time.monotonic())
            if wait <= 0:
                return None
            # One pending get survives a timeout, so no event is lost to a cancelled get.
            if self._getter is None:
                self._getter = asyncio.ensure_future(self._events.get())
            done, _ = await asyncio.wait({self._getter}, timeout=wait)
            if not done:
                continue
            item = self._getter.result()
            self._getter = None
            if isinstance(item, ChatroomError):
                raise item
            return item
        return None

    async def emit_raw(self, event: str, payload: Any, *, timeout: float | None = None) -> Any:
        return await self._emit(event, payload, timeout)

    def add_listener(self, listener: Callable[[str, Any], None]) -> None:
        self.state.listeners.append(listener)

    async def connect(self, *, transports: Sequence[str] | None = None) -> None:
        if self.sio.connected:
            return
        self.state.refused = None
        try:
            await self.sio.connect(
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
            self._maintainer = asyncio.create_task(self._maintain())

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    async def close(self) -> None:
        self._closed.set()
        self._wake.set()
        self.sio.reconnection = False
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sio.shutdown(), self.timeout)
        if self._getter is not None:
            self._getter.cancel()
        if self._maintainer is not None:
            self._maintainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintainer
        if self._own_http:
            await self.http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.close()

    # -- transport ---------------------------------------------------------------------------

    async def _http(self, call: HttpCall[T]) -> T:
        try:
            response = await self.http.request(
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

    async def _request(self, call: SocketCall[T]) -> T:
        retry = Retry(call.retry, self.retry_for)
        while True:
            try:
                return call.read(protocol.read_ack(await self._emit(call.event, call.payload, None)))
            except ChatroomError as error:
                delay = retry.after(error)
                if delay is None:
                    raise
                await self._pause(delay)
                if self._closed.is_set():
                    raise

    async def _emit(self, event: str, payload: Any, timeout: float | None) -> Any:
        await self._ensure_connected()
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def resolve(*args: Any) -> None:
            if not answer.done():
                answer.set_result(args[0] if args else None)

        self._pending.add(answer)
        try:
            try:
                await self.sio.emit(event, payload, callback=resolve)
            except socketio.exceptions.BadNamespaceError as exc:
                raise NotConnectedError(event) from exc
            try:
                return await asyncio.wait_for(asyncio.shield(answer), self.timeout if timeout is None else timeout)
            except TimeoutError as exc:
                raise AckTimeoutError(event) from exc
        finally:
            self._pending.discard(answer)

    async def _ensure_connected(self) -> None:
        if self.sio.connected:
            return
        if self.state.ended is not None:
            raise self.state.ended
        if self._closed.is_set() or (self._ever_connected and self.sio.reconnection):
            raise NotConnectedError("not connected")
        await self.connect()

    async def _reconnect_after_server_disconnect(self) -> None:
        # python-socketio reconnects after a dropped transport, not after the server closed
        # the connection on purpose (a slow reader, a revoked token): reconnect as after a drop,
        # and a refusal ends the client through `final` above.
        try:
            await self.connect()
        except ChatroomError:
            await self._pause(1.0)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), seconds)

    def _socket_headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar)
        return protocol.socket_headers(cookie)

    # -- socket handlers (run on the event loop) -----------------------------------------------

    def _on_connect(self) -> None:
        self.state.refused = None
        if self._ever_connected:
            self._catch_up_all = True
            self._events.put_nowait(Reconnected())
            self._wake.set()
        self._ever_connected = True

    def _on_disconnect(self, reason: Any = None) -> None:
        self._server_dropped = reason == self.sio.reason.SERVER_DISCONNECT
        for answer in list(self._pending):
            if not answer.done():
                answer.set_exception(ConnectionLostError("connection lost"))
        self._events.put_nowait(Disconnected(str(reason)))
        self._wake.set()

    def _on_connect_error(self, data: Any = None) -> None:
        self.state.on_connect_error(data)
        self._wake.set()

    def _on_event(self, name: str, *args: Any) -> None:
        self.state.on_server_event(name, args[0] if args else None)
        if self.state.ended is not None:
            self._wake.set()

    async def _maintain(self) -> None:
        while not self._closed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.2)
            self._wake.clear()
            if self._closed.is_set():
                return
            final = self.state.ended or (self.state.refused if self.state.refusal_is_final() else None)
            if final is not None and self._ever_connected:
                self.sio.reconnection = False
                self._events.put_nowait(final)
                await self.sio.shutdown()
                return
            if not self.sio.connected:
                if self._server_dropped and self.sio.reconnection:
                    await self._reconnect_after_server_disconnect()
                continue
            catch_up_all, self._catch_up_all = self._catch_up_all, False
            rooms = self.state.joined_rooms() if catch_up_all else self.state.stale_rooms()
            for room in rooms:
                try:
                    await self._request(self.state.join(room))
                except TransportError:
                    self._catch_up_all = True
                except ChatroomError:
                    self.state.forget(room)
