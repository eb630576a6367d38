"""The broadcaster's pacing of vote totals, and what its lock does and does not hold up."""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest

from chatroom import broadcaster


def vote(message_id: int, seq: int, room: str = "general") -> broadcaster.Change:
    totals = {"message_id": message_id, "room": room, "upvotes": 1, "downvotes": 0, "score": 1}
    return ("vote", {**totals, "seq": seq})


def test_vote_pacing_forgets_messages_whose_interval_is_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long-lived room with votes on ever new messages keeps no growing table."""
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(broadcaster, "_broadcast", lambda room, event, payload: sent.append((room, event)))
    clock = [1000.0]
    publisher = broadcaster.Publisher(clock=lambda: clock[0])
    for message_id in range(1, 5001):
        clock[0] += 1.0  # each vote long after the previous one: none is held
        publisher.publish([vote(message_id, message_id, room="pacing")])
    # A room of its own: a pacing timer left by an earlier test may still send to general.
    mine = [event for room, event in sent if room == "pacing"]
    assert len(mine) == 5000 and set(mine) == {"vote"}
    assert len(publisher._rooms["pacing"].sent_at) < 1000  # not one entry per message ever voted on


def test_a_send_that_blocks_holds_up_neither_another_publish_nor_the_pacing_timer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow message queue under one send must not stall the writer or the held votes."""
    inside_slow_send, release = threading.Event(), threading.Event()
    sent: queue.Queue[tuple[str, str, dict[str, Any]]] = queue.Queue()

    def send(room: str, event: str, payload: dict[str, Any]) -> None:
        if room not in ("slow", "fast"):
            return  # a pacing timer an earlier test left behind (see the test above)
        if room == "slow":
            inside_slow_send.set()
            release.wait(timeout=60)
        sent.put((room, event, payload))

    monkeypatch.setattr(broadcaster, "_broadcast", send)
    # The clock stands still: the second vote always falls within the first one's interval.
    publisher = broadcaster.Publisher(interval=0.01, clock=lambda: 1000.0)
    stuck = threading.Thread(target=publisher.publish, args=([("data", {"room": "slow", "seq": 1})],), daemon=True)
    stuck.start()
    try:
        assert inside_slow_send.wait(timeout=10)
        other = threading.Thread(target=publisher.publish, args=([vote(7, 1, "fast"), vote(7, 2, "fast")],))
        other.start()
        other.join(timeout=10)
        assert not other.is_alive(), "a publish waited for another room's send"
        room, event, payload = sent.get(timeout=10)
        assert (room, event, payload["seq"]) == ("fast", "vote", 1)
        # The held second vote goes out from the pacing timer while the slow send still hangs.
        room, event, payload = sent.get(timeout=10)
        assert (room, event, payload["seq"]) == ("fast", "vote", 2)
    finally:
        release.set()
        stuck.join(timeout=10)
    assert sent.get(timeout=10)[:2] == ("slow", "data")


def test_updates_go_out_at_once_and_in_the_batch_update_list(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, str, dict[str, Any]]] = []
    monkeypatch.setattr(
        broadcaster,
        "_broadcast",
        lambda room, event, payload: sent.append((room, event, payload)) if room == "updates" else None,
    )
    publisher = broadcaster.Publisher(clock=lambda: 1000.0)
    edited = {"id": 7, "room": "updates", "body": "edited", "seq": 3}
    publisher.publish([("update", edited)])
    data = {"id": 8, "room": "updates", "body": "new", "seq": 4}
    deleted = {"id": 7, "room": "updates", "body": "", "deleted": True, "seq": 6}
    publisher.publish([("data", data), vote(8, 5, room="updates"), ("update", deleted)])
    assert sent[0] == ("updates", "update", edited)
    assert sent[1] == (
        "updates",
        "batch",
        {"room": "updates", "data": [data], "vote": [vote(8, 5, room="updates")[1]], "update": [deleted]},
    )
