"""What `Client` and `AsyncClient` share: every request as data, how answers are read, the
retry rule, and the live state (timelines, joined rooms, events). The two clients only move
these requests over their transports."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, cast
from urllib.parse import quote, urlsplit

from chatroom_client.errors import (
    AckTimeoutError,
    ChatroomError,
    ConnectionLostError,
    NotConnectedError,
    RateLimitedError,
    SessionEndedError,
    UnavailableError,
    error_from,
)
from chatroom_client.events import Event, Mentioned, OtherEvent, Presence, Typing, Unread
from chatroom_client.timeline import RoomTimeline
from chatroom_client.types import Account, Joined, Message, NewToken, Page, Room, Token, User, Vote

T = TypeVar("T")

# "safe": the request is idempotent (a send carries its client_id), so it is sent again even
# when its outcome is unknown. "unsent": sent again only when it certainly changed nothing
# (not sent at all, or refused as unavailable/rate limited): a vote is a toggle.
RetryKind = Literal["safe", "unsent", "never"]


@dataclass(frozen=True)
class HttpCall(Generic[T]):
    method: str
    path: str
    read: Callable[[Any], T]
    json: Any = None
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SocketCall(Generic[T]):
    event: str
    payload: dict[str, Any]
    read: Callable[[dict[str, Any]], T]
    retry: RetryKind = "safe"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def http_headers(base_url: str, token: str | None) -> dict[str, str]:
    """Every HTTP request: JSON, the server's own Origin (cookie writes need it), the token if any."""
    headers = {"Accept": "application/json", "Origin": origin_of(base_url)}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def socket_headers(cookie: str) -> dict[str, str]:
    # No Origin: websocket-client sends the server's own already (a second one would be
    # joined to it and refused), and a handshake without one is allowed.
    return {"Cookie": cookie} if cookie else {}


def socket_auth(token: str | None) -> dict[str, str] | None:
    return {"token": token} if token is not None else None


def new_client_id() -> str:
    return f"py-{uuid.uuid4().hex}"


def read_http(status: int, headers: Mapping[str, str], content: bytes) -> Any:
    """The JSON body of a 2xx answer (None when empty), or the typed error of any other."""
    body: Any = None
    if content:
        try:
            body = json.loads(content)
        except ValueError:
            body = None
    if 200 <= status < 300:
        return body
    retry_after: float | None = None
    try:
        retry_after = float(headers.get("retry-after", ""))
    except ValueError:
        retry_after = None
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        raise error_from(body, status=status, retry_after=retry_after)
    raise ChatroomError(f"HTTP {status}: {content[:200]!r}", code="unexpected", status=status)


def read_ack(ack: Any) -> dict[str, Any]:
    """A successful ack as a dict, or the typed error of a failed one."""
    if isinstance(ack, dict) and ack.get("ok") is True:
        return ack
    raise error_from(ack)


class Retry:
    """Backoff for one request: 0.1 s doubling to 2 s (or the server's Retry-After), within a budget."""

    def __init__(self, kind: RetryKind, budget: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.kind = kind
        self._clock = clock
        self._deadline = clock() + budget
        self._delay = 0.1

    def after(self, error: ChatroomError) -> float | None:
        """Seconds to wait before sending again, or None to give up and raise `error`."""
        if not self._retryable(error):
            return None
        delay = self._delay
        if isinstance(error, RateLimitedError) and error.retry_after:
            delay = error.retry_after
        self._delay = min(self._delay * 2, 2.0)
        if self._clock() + delay > self._deadline:
            return None
        return delay

    def _retryable(self, error: ChatroomError) -> bool:
        # Not sent, or refused before anything changed: any request may go again.
        changed_nothing = isinstance(error, NotConnectedError | UnavailableError | RateLimitedError)
        # Sent, outcome unknown: only a request that is safe to repeat.
        unknown = isinstance(error, AckTimeoutError | ConnectionLostError)
        return self.kind != "never" and (changed_nothing or (self.kind == "safe" and unknown))


class LiveState:
    """Timelines of the rooms this client holds, the rooms to catch up after a reconnect, and
    where the events go. Handlers of either transport feed it raw server events."""

    def __init__(self, deliver: Callable[[Event], None], *, gap_patience: float = 1.0) -> None:
        self._deliver = deliver
        self._gap_patience = gap_patience
        self._lock = threading.Lock()
        self.timelines: dict[str, RoomTimeline] = {}
        self.joined: set[str] = set()
        self.ended: SessionEndedError | None = None
        self.refused: ChatroomError | None = None
        self.listeners: list[Callable[[str, Any], None]] = []

    def timeline(self, room: str) -> RoomTimeline:
        with self._lock:
            timeline = self.timelines.get(room)
            if timeline is None:
                timeline = self.timelines[room] = RoomTimeline(room, gap_patience=self._gap_patience)
            return timeline

    def deliver(self, events: list[Event]) -> None:
        for event in events:
            self._deliver(event)

    def on_server_event(self, name: str, payload: Any) -> None:
        for listener in list(self.listeners):
            listener(name, payload)
        try:
            self.deliver(self._changes(name, payload))
        except (KeyError, TypeError, ValueError):
            # A payload of an unexpected shape is handed over as it came, never dropped silently.
            self.deliver([OtherEvent(name, payload)])

    def _changes(self, name: str, payload: Any) -> list[Event]:
        if name in ("data", "vote", "batch", "update"):
            # Only rooms this client follows (a `join` through the library) are kept; the
            # others' changes reach listeners only, so nothing grows without a reader.
            with self._lock:
                timeline = self.timelines.get(payload["room"])
            if timeline is None:
                return []
            if name == "data":
                return timeline.apply_message(payload)
            if name == "vote":
                return timeline.apply_vote(payload)
            if name == "update":
                return timeline.apply_update(payload)
            return timeline.apply_batch(payload)
        if name == "presence":
            return [Presence(payload["room"], payload["online"])]
        if name == "typing":
            return [Typing(payload["room"], payload["user"])]
        if name == "unread":
            return [Unread(payload["room"], int(payload["unread"]), int(payload.get("mentions", 0)))]
        if name == "mention":
            message = cast(Message, payload["message"])
            return [Mentioned(str(message["room"]), message)]
        if name == "session_ended":
            self.ended = SessionEndedError(str(payload.get("reason", "")) if isinstance(payload, Mapping) else "")
            return []
        return [OtherEvent(name, payload)]

    def on_connect_error(self, data: Any) -> None:
        """A refused connection: keep the server's error (e.g. `unauthorized`) to raise it."""
        for listener in list(self.listeners):
            listener("connect_error", data)
        if isinstance(data, Mapping):
            detail = data.get("data")
            if isinstance(detail, Mapping) and "code" in detail:
                self.refused = error_from({"error": detail})
                return
            message = data.get("message")
            if isinstance(message, str) and message in ("unauthorized", "forbidden", "unavailable"):
                self.refused = error_from({"error": {"code": message, "message": message}})

    def refusal_is_final(self) -> bool:
        """A refusal that retrying cannot cure: the credentials are gone."""
        return self.refused is not None and self.refused.code in ("unauthorized", "forbidden")

    def stale_rooms(self) -> list[str]:
        """Joined rooms with a gap open for too long: they re-join with `after_seq`."""
        with self._lock:
            rooms = [r for r in self.joined if r in self.timelines]
        return sorted(r for r in rooms if self.timelines[r].gap_is_stale())

    def forget(self, room: str) -> None:
        with self._lock:
            self.joined.discard(room)

    def joined_rooms(self) -> list[str]:
        with self._lock:
            return sorted(self.joined)

    def find_message(self, message_id: int) -> RoomTimeline | None:
        with self._lock:
            timelines = list(self.timelines.values())
        for timeline in timelines:
            if message_id in timeline.messages:
                return timeline
        return None

    # -- the socket requests whose answers change the live state ------------------------------

    def join(self, room: str) -> SocketCall[Joined]:
        timeline = self.timeline(room)

        def read(ack: dict[str, Any]) -> Joined:
            with self._lock:
                self.joined.add(room)
            self.deliver(timeline.apply_join(ack))
            return Joined(
                room=str(ack["room"]["slug"]),
                name=str(ack["room"]["name"]),
                messages=cast(list[Message], ack["messages"]),
                has_more=bool(ack["has_more"]),
                seq=int(ack["seq"]),
                online=cast(list[User], ack.get("online", [])),
                reset=bool(ack.get("reset", False)),
            )

        return SocketCall("join", timeline.join_payload(), read)

    def leave(self, room: str) -> SocketCall[None]:
        def read(_: dict[str, Any]) -> None:
            with self._lock:
                self.joined.discard(room)

        return SocketCall("leave", {"room": room}, read)

    def send(self, room: str, body: str, client_id: str) -> SocketCall[Message]:
        def read(ack: dict[str, Any]) -> Message:
            message = cast(Message, ack["message"])
            if room in self.timelines:
                self.deliver(self.timelines[room].apply_message(message))
            return message

        return SocketCall("data", {"room": room, "body": body, "client_id": client_id}, read)

    def vote(self, message_id: int, *, up: bool) -> SocketCall[Vote]:
        def read(ack: dict[str, Any]) -> Vote:
            timeline = self.find_message(message_id)
            if timeline is not None:
                self.deliver(timeline.apply_own_vote(ack))
            return Vote(
                message_id=int(ack["message_id"]),
                upvotes=int(ack["upvotes"]),
                downvotes=int(ack["downvotes"]),
                score=int(ack["score"]),
                my_vote=int(ack["my_vote"]),
                seq=int(ack["seq"]),
            )

        return SocketCall("upvote" if up else "downvote", {"message_id": message_id}, read, retry="unsent")

    def history(self, room: str, before: int | None, limit: int) -> HttpCall[Page]:
        def read(body: Any) -> Page:
            messages = cast(list[Message], body["messages"])
            if room in self.timelines:
                self.timelines[room].remember(messages)
            return Page(messages=messages, has_more=bool(body["has_more"]))

        params = {"limit": str(limit)}
        if before is not None:
            params["before"] = str(before)
        return HttpCall("GET", f"/api/rooms/{quote(room, safe='')}/messages", read, params=params)


# -- requests that do not touch the live state -------------------------------------------------


def mark_read(room: str, message_id: int) -> SocketCall[int]:
    return SocketCall("read", {"room": room, "message_id": message_id}, lambda ack: int(ack["unread"]))


def typing(room: str) -> SocketCall[None]:
    return SocketCall("typing", {"room": room}, lambda _: None, retry="never")


def signup(email: str, username: str, password: str) -> HttpCall[Account]:
    body = {"email": email, "username": username, "password": password}
    return HttpCall("POST", "/api/signup", lambda b: cast(Account, b["user"]), json=body)


def login(email: str, password: str) -> HttpCall[Account]:
    return HttpCall(
        "POST", "/api/login", lambda b: cast(Account, b["user"]), json={"email": email, "password": password}
    )


def logout() -> HttpCall[None]:
    return HttpCall("POST", "/api/logout", lambda _: None)


def me() -> HttpCall[Account]:
    return HttpCall("GET", "/api/me", lambda b: cast(Account, b["user"]))


def rooms() -> HttpCall[list[Room]]:
    return HttpCall("GET", "/api/rooms", lambda b: cast(list[Room], b["rooms"]))


def room(slug: str) -> HttpCall[Room]:
    return HttpCall("GET", f"/api/rooms/{quote(slug, safe='')}", lambda b: cast(Room, b["room"]))


def create_room(name: str, topic: str | None) -> HttpCall[Room]:
    body = {"name": name} if topic is None else {"name": name, "topic": topic}
    return HttpCall("POST", "/api/rooms", lambda b: cast(Room, b["room"]), json=body)


def top(slug: str, window: str, limit: int, offset: int) -> HttpCall[Page]:
    params = {"window": window, "limit": str(limit), "offset": str(offset)}
    return HttpCall(
        "GET",
        f"/api/rooms/{quote(slug, safe='')}/top",
        lambda b: Page(
            messages=cast(list[Message], b["messages"]), has_more=bool(b["has_more"]), window=b.get("window")
        ),
        params=params,
    )


def mentions(before: int | None, limit: int) -> HttpCall[Page]:
    params = {"limit": str(limit)}
    if before is not None:
        params["before"] = str(before)
    return HttpCall(
        "GET",
        "/api/mentions",
        lambda b: Page(messages=cast(list[Message], b["messages"]), has_more=bool(b["has_more"])),
        params=params,
    )


def find_users(prefix: str, limit: int) -> HttpCall[list[User]]:
    return HttpCall(
        "GET", "/api/users", lambda b: cast(list[User], b["users"]), params={"prefix": prefix, "limit": str(limit)}
    )


def create_token(name: str) -> HttpCall[NewToken]:
    return HttpCall(
        "POST",
        "/api/tokens",
        lambda b: NewToken(token=cast(Token, b["token"]), secret=str(b["secret"])),
        json={"name": name},
    )


def tokens() -> HttpCall[list[Token]]:
    return HttpCall("GET", "/api/tokens", lambda b: cast(list[Token], b["tokens"]))


def revoke_token(token_id: int) -> HttpCall[None]:
    return HttpCall("DELETE", f"/api/tokens/{int(token_id)}", lambda _: None)


def oldest_id(page: Page) -> int | None:
    return page.messages[0]["id"] if page.messages else None
