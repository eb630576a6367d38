"""A client's copy of one room, kept by the seq rules of docs/protocol.md (Room timeline).

Pure logic, shared by `Client` and `AsyncClient`: no I/O, a lock so that the sync client's
handler threads can apply events concurrently, and an injectable clock for the gap rule.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from chatroom_client.events import Event, MessageUpdated, NewMessage, RoomReset
from chatroom_client.types import Message, VoteTotals

# Keys of a vote entry that describe the entry, not the message's state.
_VOTE_ONLY_KEYS = frozenset({"message_id", "room"})


class RoomTimeline:
    """Messages by id, each with the seq of the state held, and the room's watermark.

    - A change whose seq is not newer than the held state of its message is stale: ignored.
    - Totals that overtake their message are kept and applied, if newer, when it arrives.
    - The watermark advances only over consecutive seqs; a change that arrives ahead of a
      missing one is applied at once, but the watermark waits for the gap.
    - A `join` ack sets the watermark to its `seq`; `reset` drops what is held.
    - A gap open for longer than `gap_patience` seconds means a broadcast was lost:
      `gap_is_stale()` turns true and the client re-joins with `after_seq`.
    """

    def __init__(self, room: str, *, gap_patience: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.room = room
        self.gap_patience = gap_patience
        self._clock = clock
        self._lock = threading.RLock()
        self.messages: dict[int, Message] = {}
        self.watermark: int | None = None
        self.early_totals: dict[int, VoteTotals] = {}
        self.stale_ignored = 0
        self._ahead: set[int] = set()
        self._gap_since: float | None = None

    # -- what the server sends ---------------------------------------------------------------

    def apply_join(self, ack: Mapping[str, Any]) -> list[Event]:
        """Apply a successful `join` ack. Returns the changes a catch-up brought (none for a first join)."""
        with self._lock:
            seq = int(ack["seq"])
            first = self.watermark is None
            reset = bool(ack.get("reset"))
            if first or reset:
                # Start over from the ack, keeping only what arrived live after its snapshot.
                self.messages = {i: m for i, m in self.messages.items() if m["seq"] > seq}
                self.early_totals = {i: t for i, t in self.early_totals.items() if t["seq"] > seq}
                self.watermark = seq
            else:
                assert self.watermark is not None
                self.watermark = max(self.watermark, seq)
            changes: list[Event] = []
            for message in ack.get("messages", []):
                changes.extend(self._apply_message(message))
            self._ahead = {s for s in self._ahead if s > self.watermark}
            self._gap_since = None
            self._advance()
            if first:
                return []
            if reset:
                return [RoomReset(self.room, self.ordered())]
            return changes

    def apply_message(self, message: Mapping[str, Any]) -> list[Event]:
        """A `data` broadcast, or the message in the ack of one's own send."""
        with self._lock:
            changes = self._apply_message(message)
            self._saw(int(message["seq"]))
            return changes

    def apply_vote(self, totals: Mapping[str, Any]) -> list[Event]:
        """A `vote` broadcast (or entry of a `batch`)."""
        with self._lock:
            changes = self._apply_totals(totals)
            self._saw(int(totals["seq"]))
            return changes

    def apply_update(self, message: Mapping[str, Any]) -> list[Event]:
        """An `update` broadcast (an edit or a delete): the whole message, replacing the held
        one if newer. It carries `my_vote` 0 for everyone, so the reader's own vote is kept
        (a deleted message shows none)."""
        with self._lock:
            state = dict(message)
            held = self.messages.get(int(message["id"]))
            if held is not None and not state.get("deleted"):
                state["my_vote"] = held.get("my_vote", 0)
            changes = self._apply_message(state)
            self._saw(int(message["seq"]))
            return changes

    def apply_batch(self, batch: Mapping[str, Any]) -> list[Event]:
        """A `batch`: its entries one by one, then every seq in `covers` counts as seen."""
        with self._lock:
            changes: list[Event] = []
            for message in batch.get("data", []):
                changes.extend(self.apply_message(message))
            for totals in batch.get("vote", []):
                changes.extend(self.apply_vote(totals))
            for message in batch.get("update", []):
                changes.extend(self.apply_update(message))
            for first, last in batch.get("covers", []):
                # Paced vote totals stand for the earlier changes of their message too.
                start = first if self.watermark is None else max(first, self.watermark + 1)
                for seq in range(start, last + 1):
                    self._saw(seq)
            return changes

    def apply_own_vote(self, ack: Mapping[str, Any]) -> list[Event]:
        """The ack of one's own vote: only `my_vote` is taken from it.

        Its totals are those right after this vote, but several votes committed together
        share one seq, so they may not be the totals of that seq: the `vote` broadcast
        brings those, and the seq rules apply it.
        """
        with self._lock:
            held = self.messages.get(int(ack["message_id"]))
            if held is None or held.get("my_vote") == ack["my_vote"]:
                return []
            held["my_vote"] = int(ack["my_vote"])
            return [MessageUpdated(self.room, cast(Message, dict(held)))]

    def remember(self, messages: Iterable[Mapping[str, Any]]) -> None:
        """Hold messages from a history page (a page is not a change feed: no seq is marked seen)."""
        with self._lock:
            for message in messages:
                held = self.messages.get(int(message["id"]))
                if held is None or message["seq"] > held["seq"]:
                    self.messages[int(message["id"])] = cast(Message, dict(message))

    # -- what the client asks -----------------------------------------------------------------

    def ordered(self) -> list[Message]:
        """The held messages, oldest first (copies)."""
        with self._lock:
            return [cast(Message, dict(self.messages[i])) for i in sorted(self.messages)]

    def ids(self) -> list[int]:
        """The ids of the held messages, oldest first."""
        with self._lock:
            return sorted(self.messages)

    def join_payload(self) -> dict[str, Any]:
        """The `join` to send: with `after_seq` once the room has a watermark."""
        with self._lock:
            if self.watermark is None:
                return {"room": self.room}
            return {"room": self.room, "after_seq": self.watermark}

    def gap_is_stale(self) -> bool:
        """A seq has been missing for longer than the patience: re-join with `after_seq`."""
        with self._lock:
            return self._gap_since is not None and self._clock() - self._gap_since > self.gap_patience

    # -- the rules ------------------------------------------------------------------------------

    def _apply_message(self, message: Mapping[str, Any]) -> list[Event]:
        message_id = int(message["id"])
        held = self.messages.get(message_id)
        changes: list[Event] = []
        if held is None or message["seq"] > held["seq"]:
            is_new = held is None
            held = self.messages[message_id] = cast(Message, dict(message))
            early = self.early_totals.pop(message_id, None)
            if early is not None and early["seq"] > held["seq"]:
                self._merge_totals(held, early)
            state = cast(Message, dict(held))
            changes.append(NewMessage(self.room, state) if is_new else MessageUpdated(self.room, state))
        else:
            self.stale_ignored += 1
            early = self.early_totals.pop(message_id, None)
            if early is not None and early["seq"] > held["seq"]:
                self._merge_totals(held, early)
                changes.append(MessageUpdated(self.room, cast(Message, dict(held))))
        return changes

    def _apply_totals(self, totals: Mapping[str, Any]) -> list[Event]:
        message_id = int(totals["message_id"])
        held = self.messages.get(message_id)
        if held is None:
            early = self.early_totals.get(message_id)
            if early is None or early["seq"] < totals["seq"]:
                self.early_totals[message_id] = cast(VoteTotals, dict(totals))
            return []
        if totals["seq"] > held["seq"]:
            self._merge_totals(held, totals)
            return [MessageUpdated(self.room, cast(Message, dict(held)))]
        self.stale_ignored += 1
        return []

    @staticmethod
    def _merge_totals(held: Message, totals: Mapping[str, Any]) -> None:
        # Everything the entry carries about the message (fields added later included),
        # except the reader's own vote, which a broadcast does not know.
        state = cast(dict[str, Any], held)
        for key, value in totals.items():
            if key not in _VOTE_ONLY_KEYS and key != "my_vote":
                state[key] = value

    def _saw(self, seq: int) -> None:
        if self.watermark is None:
            # Before the first join ack: remembered, so the ack's watermark can move past it.
            self._ahead.add(seq)
            return
        if seq <= self.watermark:
            return
        self._ahead.add(seq)
        self._advance()

    def _advance(self) -> None:
        assert self.watermark is not None
        while self.watermark + 1 in self._ahead:
            self.watermark += 1
            self._ahead.discard(self.watermark)
        if not self._ahead:
            self._gap_since = None
        elif self._gap_since is None:
            self._gap_since = self._clock()
