"""A client-side copy of a room, kept exactly as docs/protocol.md tells clients to."""

from __future__ import annotations

import threading
import time
from typing import Any


class RoomReplica:
    """Messages by id, each with the seq of the state held, and the room watermark.

    The watermark only advances over contiguous seqs: a broadcast that arrives ahead of a
    missing one is applied, but the watermark waits, so a reconnect asks for the gap again.
    """

    GAP_PATIENCE_SECONDS = 1.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: dict[int, dict[str, Any]] = {}
        self.watermark: int | None = None
        self._ahead: set[int] = set()
        self._gap_since: float | None = None
        self.stale_ignored = 0
        # Totals that overtook their message (another process broadcast the vote first).
        self.early_totals: dict[int, dict[str, Any]] = {}

    def apply_join(self, ack: dict[str, Any]) -> None:
        with self.lock:
            if ack.get("reset") or self.watermark is None:
                self.messages.clear()
            for message in ack["messages"]:
                self._apply_message(message)
            self.watermark = max(self.watermark or 0, ack["seq"])
            self._ahead = {s for s in self._ahead if s > self.watermark}
            self._advance()

    def apply_message(self, message: dict[str, Any]) -> None:
        with self.lock:
            self._apply_message(message)
            self._saw(message["seq"])

    def apply_vote(self, totals: dict[str, Any]) -> None:
        with self.lock:
            held = self.messages.get(totals["message_id"])
            if held is None:
                early = self.early_totals.get(totals["message_id"])
                if early is None or early["seq"] < totals["seq"]:
                    self.early_totals[totals["message_id"]] = totals
            else:
                if totals["seq"] > held["seq"]:
                    held.update(
                        upvotes=totals["upvotes"], downvotes=totals["downvotes"], score=totals["score"], seq=totals["seq"]
                    )
                else:
                    self.stale_ignored += 1
            self._saw(totals["seq"])

    def apply_batch(self, batch: dict[str, Any]) -> None:
        for message in batch.get("data", []):
            self.apply_message(message)
        for totals in batch.get("vote", []):
            self.apply_vote(totals)
        # Paced vote totals stand for earlier changes of their message too.
        for first, last in batch.get("covers", []):
            with self.lock:
                for seq in range(first, last + 1):
                    self._saw(seq)

    def _apply_message(self, message: dict[str, Any]) -> None:
        held = self.messages.get(message["id"])
        if held is None or message["seq"] > held["seq"]:
            held = self.messages[message["id"]] = dict(message)
        else:
            self.stale_ignored += 1
        early = self.early_totals.pop(message["id"], None)
        if early is not None and early["seq"] > held["seq"]:
            held.update(upvotes=early["upvotes"], downvotes=early["downvotes"], score=early["score"], seq=early["seq"])

    def _saw(self, seq: int) -> None:
        if self.watermark is None or seq <= self.watermark:
            return
        self._ahead.add(seq)
        self._advance()

    def _advance(self) -> None:
        assert self.watermark is not None
        while self.watermark + 1 in self._ahead:
            self.watermark += 1
            self._ahead.discard(self.watermark)
        self._gap_since = (self._gap_since or time.monotonic()) if self._ahead else None

    def gap_is_stale(self) -> bool:
        """A seq has been missing for a while: the client should re-join with after_seq."""
        with self.lock:
            return self._gap_since is not None and time.monotonic() - self._gap_since > self.GAP_PATIENCE_SECONDS
