"""The client library's room replica follows the seq rules of docs/protocol.md (Room timeline)."""

from __future__ import annotations

from typing import Any

from chatroom_client import MessageUpdated, NewMessage, RoomReset, RoomTimeline


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def message(message_id: int, seq: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": message_id,
        "room": "general",
        "body": f"m{message_id}",
        "author": {"id": 1, "username": "alice"},
        "created_at": "2026-12-01T10:00:00Z",
        "upvotes": 0,
        "downvotes": 0,
        "score": 0,
        "my_vote": 0,
        "client_id": None,
        "seq": seq,
        **fields,
    }


def totals(message_id: int, seq: int, up: int, down: int = 0) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "room": "general",
        "upvotes": up,
        "downvotes": down,
        "score": up - down,
        "seq": seq,
    }


def joined(seq: int, *messages: dict[str, Any], reset: bool = False) -> dict[str, Any]:
    room = {"slug": "general", "name": "General"}
    return {"ok": True, "room": room, "messages": list(messages), "has_more": False, "seq": seq, "reset": reset}


def test_first_join_holds_the_page_and_sets_the_watermark_without_events() -> None:
    timeline = RoomTimeline("general")
    assert timeline.apply_join(joined(7, message(1, 3), message(2, 7))) == []
    assert timeline.ids() == [1, 2]
    assert timeline.watermark == 7
    assert timeline.join_payload() == {"room": "general", "after_seq": 7}


def test_each_message_is_new_once_whatever_path_it_takes() -> None:
    timeline = RoomTimeline("general")
    timeline.apply_join(joined(1, message(1, 1)))
    first = timeline.apply_message(message(2, 2))
    assert [type(e) for e in first] == [NewMessage]
    # The same message again (the sender's ack, a second process's copy): stale, no event.
    assert timeline.apply_message(message(2, 2)) == []
    assert timeline.apply_batch({"room": "general", "data": [message(2, 2)], "vote": []}) == []
    assert timeline.stale_ignored == 2
    assert timeline.watermark == 2


def test_a_stale_vote_is_ignored_and_a_newer_one_updates() -> None:
    timeline = RoomTimeline("general")
    timeline.apply_join(joined(1, message(1, 1)))
    (update,) = timeline.apply_vote(totals(1, 3, up=2))
    assert isinstance(update, MessageUpdated)
    assert update.message["upvotes"] == 2
    assert timeline.apply_vote(totals(1, 2, up=1)) == []
    assert timeline.messages[1]["upvotes"] == 2
    assert timeline.messages[1]["seq"] == 3


def test_totals_that_overtake_their_message_apply_when_it_arrives() -> None:
    timeline = RoomTimeline("general")
    timeline.apply_join(joined(1))
    assert timeline.apply_vote(totals(5, 3, up=4)) == []
    (event,) = timeline.apply_message(message(5, 2))
    assert isinstance(event, NewMessage)
    assert (event.message["upvotes"], event.message["seq"]) == (4, 3)
    assert timeline.watermark == 3


def test_the_watermark_waits_for_a_gap_and_a_stale_gap_asks_for_a_catch_up() -> None:
    clock = Clock()
    timeline = RoomTimeline("general", clock=clock, gap_patience=1.0)
    timeline.apply_join(joined(10))
    timeline.apply_message(message(1, 12))
    assert timeline.watermark == 10
    assert not timeline.gap_is_stale()
    clock.now += 1.5
    assert timeline.gap_is_stale()
    assert timeline.join_payload() == {"room": "general", "after_seq": 10}
    # The catch-up brings seq 11 (and 12 again, already held): the gap closes.
    (event,) = timeline.apply_join(joined(12, message(2, 11), message(1, 12)))
    assert isinstance(event, NewMessage) and event.message["id"] == 2
    assert timeline.watermark == 12
    assert not timeline.gap_is_stale()


def test_covers_count_replaced_seqs_as_seen() -> None:
    timeline = RoomTimeline("general")
    timeline.apply_join(joined(1, message(1, 1)))
    batch = {"room": "general", "data": [], "vote": [totals(1, 6, up=5)], "covers": [[2, 6]]}
    (event,) = timeline.apply_batch(batch)
    assert event.message["upvotes"] == 5  # type: ignore[union-attr]
    assert timeline.watermark == 6
    assert not timeline.gap_is_stale()


def test_a_batch_without_covers_leaves_the_gap_open() -> None:
    timeline = RoomTimeline("general")
    timeline.apply_join(joined(1, message(1, 1)))
    timeline.apply_batch({"room": "general", "data": [], "vote": [totals(1, 6, up=5)]})
    assert timeline.watermark == 1


def test_a_reset_drops_what_is_held() -> None:
    timeline = RoomTimeline("general")
    timeline.apply_join(joined(2, message(1, 1), message(2, 2)))
    (event,) = timeline.apply_join(joined(2000, message(1990, 1999), message(1991, 2000), reset=True))
    assert isinstance(event, RoomReset)
    assert [m["id"] for m in event.messages] == [1990, 1991]
    assert timeline.ids() == [1990, 1991]
    assert timeline.watermark == 2000


def test_broadcasts_before_the_first_join_ack_are_kept_and_counted() -> None:
    # The sync client handles each frame in its own thread: a broadcast may be applied
    # before the join ack that subscribed the socket.
    timeline = RoomTimeline("general")
    timeline.apply_message(message(9, 6))
    timeline.apply_join(joined(5, message(8, 5)))
    assert timeline.ids() == [8, 9]
    assert timeline.watermark == 6


def test_own_vote_ack_sets_my_vote_and_leaves_totals_to_the_broadcast() -> None:
    timeline = RoomTimeline("general")
    timeline.apply_join(joined(1, message(1, 1)))
    # Two votes committed together share seq 2; this ack has the totals after the first only.
    ack = {"ok": True, "message_id": 1, "upvotes": 1, "downvotes": 0, "score": 1, "my_vote": 1, "seq": 2}
    timeline.apply_own_vote(ack)
    held = timeline.messages[1]
    assert (held["upvotes"], held["my_vote"], held["seq"]) == (0, 1, 1)
    assert "ok" not in held
    # The broadcast of seq 2 carries the totals after both (my_vote is 0 there: the reader's stays).
    timeline.apply_vote(totals(1, 2, up=2))
    assert (timeline.messages[1]["upvotes"], timeline.messages[1]["my_vote"], timeline.watermark) == (2, 1, 2)


def test_fields_added_to_vote_entries_reach_the_message() -> None:
    timeline = RoomTimeline("general")
    timeline.apply_join(joined(1, message(1, 1)))
    timeline.apply_vote({**totals(1, 2, up=0, down=6), "collapsed": True})
    assert timeline.messages[1]["collapsed"] is True


def test_an_update_replaces_the_message_keeps_the_own_vote_and_counts_its_seq() -> None:
    timeline = RoomTimeline("general")
    timeline.apply_join(joined(2, message(1, 2, upvotes=1, score=1, my_vote=1)))
    edited = message(1, 3, body="fixed", upvotes=1, score=1, edited_at="2026-12-01T10:01:00Z", deleted=False)
    assert [type(e) for e in timeline.apply_update(edited)] == [MessageUpdated]
    held = timeline.messages[1]
    assert (held["body"], held["my_vote"], timeline.watermark) == ("fixed", 1, 3)
    # A stale copy changes nothing; a delete in a batch empties the message and its votes.
    assert timeline.apply_update(message(1, 3, body="old")) == []
    tombstone = message(1, 4, body="", deleted=True, edited_at=None)
    timeline.apply_batch({"room": "general", "data": [], "vote": [], "update": [tombstone]})
    held = timeline.messages[1]
    assert (held["body"], held["my_vote"], held["deleted"], timeline.watermark) == ("", 0, True, 4)
