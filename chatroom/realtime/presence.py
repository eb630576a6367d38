"""Who is online in each room, across every server process, and the typing pace.

The truth lives in a store shared by the processes: Redis when `REDIS_URL` is set, else this
process's memory (one process). Per room, a sorted set of `user_id:username:sid` entries
scored by the time they were last refreshed. Each process refreshes the entries of its own
sockets every quarter of the timeout; an entry not refreshed for half of it (two refreshes
missed) belongs to a process that
died without a clean disconnect and is dropped (and its room told) by the next process that
looks. A process only ever touches the rooms its own sockets are in, so nothing grows with the
rooms it has never seen; a room's key expires by itself once nobody refreshes it.

What a process keeps in memory is only about its own sockets (which rooms they joined) and
the pacing timers of broadcasts; losing it loses nothing another process needs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any, Protocol

import redis
from flask_socketio import SocketIO

from chatroom.channels import room_channel

log = logging.getLogger(__name__)

__all__ = ["MemoryStore", "Presence", "PresenceStore", "RedisStore", "presence"]

# At most one `presence` broadcast per room in this many seconds; changes meanwhile collapse.
PRESENCE_INTERVAL_SECONDS = 1.0


def entry(user_id: int, username: str, sid: str) -> str:
    # Usernames hold no ':' (letters, digits, _ and -), so the sid is whatever follows the second.
    return f"{user_id}:{username}:{sid}"


def parse(value: str) -> tuple[int, str, str]:
    user_id, username, sid = value.split(":", 2)
    return int(user_id), username, sid


class PresenceStore(Protocol):
    def refresh(self, room: str, entries: Iterable[str], now: float) -> None: ...
    def remove(self, room: str, entries: Iterable[str]) -> None: ...
    def members(self, room: str, now: float) -> tuple[list[str], int]:
        """The live entries of `room`, and how many stale ones were dropped."""
        ...

    def live(self, rooms: list[str], now: float) -> dict[str, list[str]]: ...
    def claim(self, key: str, seconds: float) -> float:
        """0 when `key` was free and is now held for `seconds`; else the seconds until it frees."""
        ...


class MemoryStore:
    """The store of a single process (no Redis)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._rooms: dict[str, dict[str, float]] = {}
        self._claims: dict[str, float] = {}
        self._lock = threading.Lock()

    def refresh(self, room: str, entries: Iterable[str], now: float) -> None:
        with self._lock:
            self._rooms.setdefault(room, {}).update(dict.fromkeys(entries, now))

    def remove(self, room: str, entries: Iterable[str]) -> None:
        with self._lock:
            held = self._rooms.get(room, {})
            for value in entries:
                held.pop(value, None)
            if not held:
                self._rooms.pop(room, None)

    def members(self, room: str, now: float) -> tuple[list[str], int]:
        with self._lock:
            held = self._rooms.get(room, {})
            stale = [value for value, seen in held.items() if seen < now - self.timeout]
            for value in stale:
                del held[value]
            return list(held), len(stale)

    def live(self, rooms: list[str], now: float) -> dict[str, list[str]]:
        with self._lock:
            return {
                room: [v for v, seen in self._rooms.get(room, {}).items() if seen >= now - self.timeout]
                for room in rooms
            }

    def claim(self, key: str, seconds: float) -> float:
        now = time.monotonic()
        with self._lock:
            if len(self._claims) > 1024:
                self._claims = {k: until for k, until in self._claims.items() if until > now}
            until = self._claims.get(key, 0.0)
            if until > now:
                return until - now
            self._claims[key] = now + seconds
            return 0.0


class RedisStore:
    """The store shared by several processes: one sorted set per room."""

    def __init__(self, url: str, prefix: str, timeout: float) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True)
        self.prefix = prefix
        self.timeout = timeout

    def _key(self, room: str) -> str:
        return f"{self.prefix}:presence:{room}"

    def refresh(self, room: str, entries: Iterable[str], now: float) -> None:
        mapping = dict.fromkeys(entries, now)
        if not mapping:
            return
        pipe = self.client.pipeline()
        pipe.zadd(self._key(room), mapping)
        # A room nobody refreshes any more disappears by itself.
        pipe.expire(self._key(room), int(self.timeout * 4) + 1)
        pipe.execute()

    def remove(self, room: str, entries: Iterable[str]) -> None:
        values = list(entries)
        if values:
            self.client.zrem(self._key(room), *values)

    def members(self, room: str, now: float) -> tuple[list[str], int]:
        pipe = self.client.pipeline()
        pipe.zremrangebyscore(self._key(room), "-inf", f"({now - self.timeout}")
        pipe.zrange(self._key(room), 0, -1)
        dropped, values = pipe.execute()
        return list(values), int(dropped)

    def live(self, rooms: list[str], now: float) -> dict[str, list[str]]:
        pipe = self.client.pipeline()
        for room in rooms:
            pipe.zrangebyscore(self._key(room), now - self.timeout, "+inf")
        return {room: list(values) for room, values in zip(rooms, pipe.execute(), strict=True)}

    def claim(self, key: str, seconds: float) -> float:
        full = f"{self.prefix}:claim:{key}"
        if self.client.set(full, "1", nx=True, px=max(1, int(seconds * 1000))):
            return 0.0
        left = self.client.pttl(full)
        return max(0.001, left / 1000) if isinstance(left, int) and left > 0 else 0.001


def people(entries: Iterable[str]) -> list[dict[str, Any]]:
    """Distinct people of `entries` as [{id, username}], by username ignoring case."""
    found: dict[int, str] = {}
    for value in entries:
        user_id, username, _sid = parse(value)
        found[user_id] = username
    return [{"id": i, "username": n} for i, n in sorted(found.items(), key=lambda p: (p[1].casefold(), p[0]))]


class Presence:
    """This process's sockets in rooms, kept in the shared store, and the `presence` broadcasts."""

    def __init__(self) -> None:
        self.store: PresenceStore = MemoryStore(45.0)
        self.timeout = 45.0
        self.socketio: SocketIO | None = None
        self._joined: dict[str, dict[str, str]] = {}  # sid -> room -> entry
        self._pending: set[str] = set()  # rooms with a paced broadcast waiting
        self._lock = threading.Lock()
        self._heartbeat: int = 0  # generation of the running heartbeat

    def init(self, socketio: SocketIO, redis_url: str | None, prefix: str, timeout: float) -> None:
        self.socketio = socketio
        self.timeout = timeout
        stale_after = timeout / 2
        self.store = RedisStore(redis_url, prefix, stale_after) if redis_url else MemoryStore(stale_after)
        with self._lock:
            self._joined = {}
            self._pending = set()
            self._heartbeat += 1
            generation = self._heartbeat
        socketio.start_background_task(self._beat, generation)

    def join(self, sid: str, user_id: int, username: str, room: str) -> list[dict[str, Any]]:
        """Record `sid` in `room`; the people online there now, the joiner included."""
        value = entry(user_id, username, sid)
        with self._lock:
            rooms = self._joined.setdefault(sid, {})
            new = room not in rooms
            rooms[room] = value
        try:
            self.store.refresh(room, [value], time.time())
            online, _ = self.store.members(room, time.time())
        except redis.RedisError:
            # The join itself stands; the next refresh puts the entry in the store.
            log.warning("presence store unavailable; %s listed on the next refresh", sid, exc_info=True)
            return people([value])
        if new:
            self.changed(room)
        return people(online)

    def leave(self, sid: str, room: str) -> None:
        with self._lock:
            value = self._joined.get(sid, {}).pop(room, None)
        if value is not None:
            self._drop(sid, room, value)

    def disconnect(self, sid: str) -> None:
        with self._lock:
            rooms = self._joined.pop(sid, {})
        for room, value in rooms.items():
            self._drop(sid, room, value)

    def _drop(self, sid: str, room: str, value: str) -> None:
        """Take `sid`'s entry out of `room` and announce the change; if the store is down, the
        entry expires by itself (no refresh renews it)."""
        try:
            self.store.remove(room, [value])
        except redis.RedisError:
            log.warning("presence store unavailable; %s expires by itself", sid, exc_info=True)
            return
        self.changed(room)

    def sids_of(self, room: str, user_id: int) -> list[str]:
        """Every socket of `user_id` in `room`, in any process."""
        try:
            online, _ = self.store.members(room, time.time())
        except redis.RedisError:
            log.warning("presence store unavailable; only this process's sockets known", exc_info=True)
            with self._lock:
                online = [value for rooms in self._joined.values() for r, value in rooms.items() if r == room]
        return [sid for uid, _name, sid in map(parse, online) if uid == user_id]

    def counts(self, rooms: list[str]) -> dict[str, int]:
        """How many people are online in each room."""
        try:
            live = self.store.live(rooms, time.time())
        except redis.RedisError:
            log.warning("presence store unavailable; online counts shown as 0", exc_info=True)
            return {}
        return {room: len(people(values)) for room, values in live.items()}

    def changed(self, room: str) -> None:
        """Broadcast the room's set now, or once the room's interval is over (coalesced)."""
        with self._lock:
            if room in self._pending:
                return
            self._pending.add(room)
        self._try_send(room)

    def _try_send(self, room: str) -> None:
        try:
            wait = self.store.claim(f"presence-sent:{room}", PRESENCE_INTERVAL_SECONDS)
        except redis.RedisError:
            log.warning("presence store unavailable; presence of %s not sent", room, exc_info=True)
            with self._lock:
                self._pending.discard(room)
            return
        if wait > 0:
            timer = threading.Timer(wait, self._try_send, args=(room,))
            timer.daemon = True
            timer.start()
            return
        with self._lock:
            self._pending.discard(room)
        try:
            online, _ = self.store.members(room, time.time())
            if self.socketio is not None:
                self.socketio.emit("presence", {"room": room, "online": people(online)}, to=room_channel(room))
        except Exception:  # a lost presence broadcast is corrected by the next one
            log.warning("presence broadcast of %s failed", room, exc_info=True)

    def _beat(self, generation: int) -> None:
        """Refresh this process's entries; drop and announce the stale ones of dead processes."""
        assert self.socketio is not None
        while True:
            self.socketio.sleep(self.timeout / 4)
            with self._lock:
                if generation != self._heartbeat:
                    return
                by_room: dict[str, list[str]] = {}
                for rooms in self._joined.values():
                    for room, value in rooms.items():
                        by_room.setdefault(room, []).append(value)
            for room, values in by_room.items():
                try:
                    now = time.time()
                    self.store.refresh(room, values, now)
                    _online, dropped = self.store.members(room, now)
                except redis.RedisError:
                    log.warning("presence store unavailable; retrying", exc_info=True)
                    continue
                if dropped:
                    self.changed(room)

    def typing_allowed(self, user_id: int, room: str, interval: float) -> bool:
        """Whether this `typing` may be broadcast: one per person per room per interval."""
        try:
            return self.store.claim(f"typing:{room}:{user_id}", interval) == 0.0
        except redis.RedisError:
            # Typing is a hint: while the store is away it is acked and not passed on.
            log.warning("presence store unavailable; typing not broadcast", exc_info=True)
            return False


presence = Presence()
