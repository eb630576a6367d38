"""The broadcaster: what goes to clients. Called by services only after their transaction committed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import current_app

from chatroom import metrics
from chatroom.channels import room_channel, session_channel, token_channel, user_channel
from chatroom.extensions import socketio
from chatroom.realtime import sessions

log = logging.getLogger(__name__)


__all__ = [
    "Publisher",
    "flush",
    "mentioned",
    "publish",
    "session_ended",
    "to_user",
    "token_revoked",
    "typing",
    "unread_changed",
]


# A message's vote totals go out at most once per interval; further changes of it within
# the interval collapse into the latest totals (docs/protocol.md, `batch` and `covers`).
VOTE_INTERVAL_SECONDS = 0.1
# Votes on many different messages, each once, are never held, so nothing else would ever
# clear their send times: past this many, the expired ones are dropped.
SENT_AT_PRUNE_SIZE = 256

Change = tuple[str, dict[str, Any]]
# One event to send: the room, its changes and, for held votes, the seqs they cover.
Frame = tuple[str, list[Change], list[list[int]] | None]


class _RoomOutbox:
    """Vote changes of one room held back until their message's next frame may go."""

    def __init__(self) -> None:
        self.held: dict[int, dict[str, Any]] = {}  # by message id: the latest totals
        self.seqs: list[int] = []  # every seq the held totals account for, replaced ones too
        self.sent_at: dict[int, float] = {}  # by message id: when its totals last went out
        self.timer: threading.Timer | None = None

    def prune(self, now: float, interval: float) -> None:
        """Forget messages whose interval is over, so the table stays as small as the storm."""
        self.sent_at = {m: t for m, t in self.sent_at.items() if now - t < interval}


class Publisher:
    """Sends committed changes to their rooms, pacing the vote totals of each message.

    Messages go out at once. A vote change goes out at once too, unless its message's totals
    went out less than VOTE_INTERVAL_SECONDS ago: then it waits for the end of that
    interval, and further changes of that message meanwhile become one entry with the latest
    totals. That frame says which seqs it accounts for (`covers`), so clients see no lasting
    gap. A vote storm on one message thus costs each client at most ten frames a second,
    whatever the vote rate, and a single vote is not delayed at all.

    The lock guards only the decision of what goes out; the frames are sent after it is
    released, so a slow message queue holds up the caller that sends, never the writer's
    next publish or a pacing timer.
    """

    def __init__(self, interval: float = VOTE_INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._rooms: dict[str, _RoomOutbox] = {}
        self._lock = threading.Lock()

    def publish(self, broadcasts: list[Change]) -> None:
        by_room: dict[str, list[Change]] = {}
        for event, payload in broadcasts:
            by_room.setdefault(payload["room"], []).append((event, payload))
            if event == "data":
                metrics.MESSAGES.inc()
            elif event == "vote":
                metrics.VOTES.inc()
        with self._lock:
            frames = [self._decide(room, changes) for room, changes in by_room.items()]
        for frame in frames:
            if frame is not None:
                _send(*frame)

    def flush_all(self) -> None:
        """Send every held vote change now (shutdown)."""
        with self._lock:
            frames = [self._take_held(room) for room in self._rooms]
        for frame in frames:
            if frame is not None:
                _send(*frame)

    def _flush(self, room: str) -> None:
        with self._lock:
            frame = self._take_held(room)
        if frame is not None:
            _send(*frame)

    def _decide(self, room: str, changes: list[Change]) -> Frame | None:
        """What of `changes` goes out now; the rest is held. Call while holding the lock."""
        now = self.clock()
        outbox = self._rooms.get(room)
        if outbox is None:
            outbox = self._rooms[room] = _RoomOutbox()
        ready: list[Change] = []
        for event, payload in changes:
            if event == "vote":
                message_id = payload["message_id"]
                if message_id in outbox.held or now - outbox.sent_at.get(message_id, -self.interval) < self.interval:
                    outbox.held[message_id] = payload
                    outbox.seqs.append(payload["seq"])
                    continue
                outbox.sent_at[message_id] = now
            ready.append((event, payload))
        if len(outbox.sent_at) > SENT_AT_PRUNE_SIZE:
            outbox.prune(now, self.interval)
        if outbox.held and outbox.timer is None:
            due = min(outbox.sent_at.get(m, now) for m in outbox.held) + self.interval
            outbox.timer = threading.Timer(max(0.0, due - now), self._flush, args=(room,))
            outbox.timer.daemon = True
            outbox.timer.start()
        return (room, ready, None) if ready else None

    def _take_held(self, room: str) -> Frame | None:
        """The held vote changes of `room` as one frame, now due. Call while holding the lock."""
        outbox = self._rooms[room]
        if outbox.timer is not None:
            outbox.timer.cancel()
            outbox.timer = None
        now = self.clock()
        outbox.prune(now, self.interval)
        if not outbox.held:
            return None
        held = sorted(outbox.held.values(), key=lambda payload: int(payload["seq"]))
        covers = _ranges(outbox.seqs) if len(outbox.seqs) > len(held) else None
        for payload in held:
            outbox.sent_at[payload["message_id"]] = now
        outbox.held = {}
        outbox.seqs = []
        return (room, [("vote", payload) for payload in held], covers)


def _send(room: str, changes: list[Change], covers: list[list[int]] | None) -> None:
    """One event: a plain `data`/`vote`/`update` for a single change, else a `batch` in seq order."""
    if len(changes) == 1 and covers is None:
        _broadcast(room, *changes[0])
        return
    batch: dict[str, Any] = {
        "room": room,
        "data": [payload for event, payload in changes if event == "data"],
        "vote": [payload for event, payload in changes if event == "vote"],
        "update": [payload for event, payload in changes if event == "update"],
    }
    if covers is not None:
        batch["covers"] = covers
    _broadcast(room, "batch", batch)


def _ranges(seqs: list[int]) -> list[list[int]]:
    """[[first, last], ...]: the sorted seqs as inclusive runs."""
    runs: list[list[int]] = []
    for seq in sorted(set(seqs)):
        if runs and seq == runs[-1][1] + 1:
            runs[-1][1] = seq
        else:
            runs.append([seq, seq])
    return runs


_publisher = Publisher()


def publish(broadcasts: list[Change]) -> None:
    """Send a committed batch's changes to their rooms, in seq order.

    One change goes out as its own `data` or `vote` event; several changes of one room go out
    as one `batch` event, so under load each client gets one frame per batch rather than one
    per change. Votes are paced per room (Publisher).
    """
    _publisher.publish(broadcasts)


def flush() -> None:
    """Send every vote change still held back (called on shutdown)."""
    _publisher.flush_all()


def _broadcast(room: str, event: str, payload: dict[str, Any]) -> None:
    # The change is already committed. If the fan-out fails (Redis restarting), the sender
    # still gets its ack and everyone else recovers the change by seq (docs/protocol.md).
    try:
        with metrics.timed_emit(event):
            socketio.emit(event, payload, to=room_channel(room))
    except Exception:  # a lost broadcast must not turn a committed write into an error
        log.warning("broadcast of %s to %s failed; clients will catch up by seq", event, room, exc_info=True)


def unread_changed(user_id: int, room: str, unread: int, mentions: int, skip_sid: str) -> None:
    """Tell a person's other sockets, in every process, that their read position in `room`
    moved (the socket that moved it has the counts in its ack)."""
    socketio.emit(
        "unread", {"room": room, "unread": unread, "mentions": mentions}, to=user_channel(user_id), skip_sid=skip_sid
    )


def mentioned(notices: list[tuple[int, dict[str, Any]]]) -> None:
    """Send `mention {message}` to every socket of each committed mention's person, in every
    process, whether or not they joined the message's room."""
    for user_id, message in notices:
        to_user(user_id, "mention", {"message": message})


def typing(room: str, user_id: int, username: str, skip_sids: list[str]) -> None:
    """Show `username` typing in `room` to everyone there but the typist's own sockets."""
    socketio.emit(
        "typing",
        {"room": room, "user": {"id": user_id, "username": username}},
        to=room_channel(room),
        skip_sid=skip_sids,
    )


def session_ended(token_hash: str) -> None:
    """Tell the sockets of an ended session, then close them in every process."""
    _close_channel(session_channel(token_hash), "logged_out")


def token_revoked(token_id: int) -> None:
    """Tell the sockets opened with a revoked API token, then close them in every process."""
    _close_channel(token_channel(token_id), "token_revoked")


def _close_channel(channel: str, reason: str) -> None:
    sessions.disconnect_local(socketio, channel, reason)
    config = current_app.extensions["chatroom.config"]
    if config.redis_url:
        sessions.publish_channel_end(config.redis_url, config.redis_prefix, channel, reason)


def to_user(user_id: int, event: str, payload: dict[str, Any]) -> None:
    """Send `event` to every socket of one person, in every process (their `user:<id>` room)."""
    try:
        socketio.emit(event, payload, to=user_channel(user_id))
    except Exception:  # the change is committed; the person learns of it from acks and `join`
        log.warning("sending %s to user %s failed", event, user_id, exc_info=True)
