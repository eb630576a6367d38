from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete

from chatroom import broadcaster, socketio
from chatroom.extensions import db
from chatroom.models import AuthSession
from chatroom.realtime import handlers
from chatroom_client import RoomTimeline
from tests.conftest import Accounts, ack, received, wait_received


def joined(accounts: Accounts, name: str) -> Any:
    sock = accounts.socket(accounts.signup(name))
    assert ack(sock, "join", {"room": "general"})["ok"]
    sock.get_received()
    return sock


def test_connect_without_session_is_refused(app: Flask) -> None:
    sock = socketio.test_client(app)
    assert not sock.is_connected()


def test_join_returns_room_history_and_watermark(accounts: Accounts) -> None:
    alice = joined(accounts, "alice")
    for i in range(55):
        assert ack(alice, "data", {"room": "general", "body": f"m{i}"})["ok"]
    bob = accounts.socket(accounts.signup("bob"))
    answer = ack(bob, "join", {"room": "general"})
    assert answer["ok"] is True
    assert answer["room"] == {"slug": "general", "name": "General"}
    assert len(answer["messages"]) == 50
    assert answer["has_more"] is True
    assert answer["messages"][0]["body"] == "m5"
    assert answer["messages"][-1]["body"] == "m54"
    assert answer["seq"] == 55
    assert answer["reset"] is False


def test_join_unknown_room(accounts: Accounts) -> None:
    sock = accounts.socket(accounts.signup("alice"))
    answer = ack(sock, "join", {"room": "nowhere"})
    assert answer["ok"] is False
    assert answer["error"]["code"] == "not_found"


def test_message_reaches_everyone_in_the_room_once(accounts: Accounts) -> None:
    alice, bob = joined(accounts, "alice"), joined(accounts, "bob")
    outsider = accounts.socket(accounts.signup("carol"))  # connected but never joined
    answer = ack(alice, "data", {"room": "general", "body": " hi bob ", "client_id": "c1"})
    assert answer["ok"] is True
    message = answer["message"]
    expected_keys = {
        "id",
        "room",
        "body",
        "author",
        "created_at",
        "upvotes",
        "downvotes",
        "score",
        "my_vote",
        "client_id",
        "seq",
        "collapsed",
        "edited_at",
        "deleted",
        "mentions",
    }
    assert set(message) == expected_keys
    assert message["body"] == "hi bob"
    assert message["client_id"] == "c1"
    assert message["author"]["username"] == "alice"
    assert received(bob, "data") == [message]
    assert received(alice, "data") == [message]
    assert received(outsider, "data") == []


def test_retry_with_same_client_id_is_not_broadcast_again(accounts: Accounts) -> None:
    alice, bob = joined(accounts, "alice"), joined(accounts, "bob")
    first = ack(alice, "data", {"room": "general", "body": "once", "client_id": "retry-me"})
    bob.get_received()
    second = ack(alice, "data", {"room": "general", "body": "once", "client_id": "retry-me"})
    assert second == first
    assert received(bob, "data") == []


def test_votes_ack_and_broadcast_absolute_totals(accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> None:
    # The pacing clock stands still, so the later votes fall within the first broadcast's
    # interval however long the machine takes between them.
    monkeypatch.setattr(broadcaster, "_publisher", broadcaster.Publisher(clock=lambda: 1000.0))
    alice, bob = joined(accounts, "alice"), joined(accounts, "bob")
    message_id = ack(alice, "data", {"room": "general", "body": "rate me"})["message"]["id"]
    alice.get_received()
    up = ack(bob, "upvote", {"message_id": message_id})
    assert up == {
        "ok": True,
        "message_id": message_id,
        "upvotes": 1,
        "downvotes": 0,
        "score": 1,
        "my_vote": 1,
        "seq": 2,
        "collapsed": False,
    }
    assert received(alice, "vote") == [
        {
            "message_id": message_id,
            "room": "general",
            "upvotes": 1,
            "downvotes": 0,
            "score": 1,
            "seq": 2,
            "collapsed": False,
        }
    ]
    down = ack(bob, "downvote", {"message_id": message_id})
    assert (down["upvotes"], down["downvotes"], down["score"], down["my_vote"]) == (0, 1, -1, -1)
    again = ack(bob, "downvote", {"message_id": message_id})
    assert (again["upvotes"], again["downvotes"], again["my_vote"]) == (0, 0, 0)
    # Both changes came within the pacing interval of the first broadcast: they go out
    # together a moment later, as one entry with the latest totals covering both seqs.
    assert received(alice, "vote") == []
    (batch,) = wait_received(alice, "batch")
    assert batch == {
        "room": "general",
        "data": [],
        "vote": [
            {
                "message_id": message_id,
                "room": "general",
                "upvotes": 0,
                "downvotes": 0,
                "score": 0,
                "seq": 4,
                "collapsed": False,
            }
        ],
        "update": [],
        "covers": [[3, 4]],
    }


def test_a_vote_storm_reaches_clients_as_a_few_frames_without_gaps(accounts: Accounts) -> None:
    alice = joined(accounts, "alice")
    message = ack(alice, "data", {"room": "general", "body": "vote on me"})["message"]
    replica = RoomTimeline("general")
    replica.apply_join(ack(alice, "join", {"room": "general"}))
    alice.get_received()
    voters = [joined(accounts, f"voter{n}") for n in range(30)]
    for voter in voters:
        assert ack(voter, "upvote", {"message_id": message["id"]})["ok"]
    last = ack(voters[0], "upvote", {"message_id": message["id"]})  # a toggle: back to 29
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + 5
    while replica.watermark != last["seq"] and time.monotonic() < deadline:
        for packet in alice.get_received():
            frames.append(packet)
            if packet["name"] == "vote":
                replica.apply_vote(packet["args"][0])
            elif packet["name"] == "batch":
                replica.apply_batch(packet["args"][0])
        time.sleep(0.02)
    # Every seq accounted for (no gap to re-join over), and the latest totals held.
    assert replica.watermark == last["seq"]
    assert replica.messages[message["id"]]["upvotes"] == 29
    # 31 changes, but far fewer frames: the first at once, the rest paced.
    assert 1 <= len(frames) < 31


def test_get_previous_messages_pages_back(accounts: Accounts) -> None:
    alice = joined(accounts, "alice")
    ids = [ack(alice, "data", {"room": "general", "body": f"m{i}"})["message"]["id"] for i in range(30)]
    page = ack(alice, "get_previous_messages", {"room": "general", "before": ids[20], "limit": 10})
    assert page["ok"]
    assert [m["id"] for m in page["messages"]] == ids[10:20]
    assert page["has_more"]
    first = ack(alice, "get_previous_messages", {"room": "general", "before": ids[10], "limit": 10})
    assert [m["id"] for m in first["messages"]] == ids[:10]
    assert first["has_more"] is False
    default = ack(alice, "get_previous_messages", {"room": "general"})
    assert [m["id"] for m in default["messages"]] == ids


def test_http_history_matches_socket_history(accounts: Accounts) -> None:
    http = accounts.signup("alice")
    sock = accounts.socket(http)
    ids = [ack(sock, "data", {"room": "general", "body": f"m{i}"})["message"]["id"] for i in range(12)]
    over_http = http.get(f"/api/rooms/general/messages?before={ids[-1]}&limit=5").get_json()
    over_socket = ack(sock, "get_previous_messages", {"room": "general", "before": ids[-1], "limit": 5})
    assert over_http == over_socket
    assert http.get("/api/rooms/nowhere/messages").status_code == 404
    assert http.get("/api/rooms/general/messages?limit=zero").status_code == 400
    assert http.get("/api/rooms/general/messages?before=-1").status_code == 400
    assert accounts.app.test_client().get("/api/rooms/general/messages").status_code == 401


def test_reconnect_catch_up_with_after_seq(accounts: Accounts) -> None:
    alice, bob = joined(accounts, "alice"), accounts.signup("bob")
    bob_sock = accounts.socket(bob)
    watermark = ack(bob_sock, "join", {"room": "general"})["seq"]
    bob_sock.disconnect()
    sent = ack(alice, "data", {"room": "general", "body": "while you were away"})["message"]
    bob_sock = accounts.socket(bob)
    answer = ack(bob_sock, "join", {"room": "general", "after_seq": watermark})
    assert answer["ok"]
    assert not answer["reset"]
    assert answer["messages"] == [sent]
    assert answer["seq"] == sent["seq"]


def test_logout_disconnects_that_sessions_sockets(accounts: Accounts) -> None:
    alice_http = accounts.signup("alice")
    alice = accounts.socket(alice_http)
    bob = joined(accounts, "bob")
    alice_http.post("/api/logout")
    assert not alice.is_connected()
    assert bob.is_connected()


def test_changes_committed_together_reach_clients_as_one_batch_frame(accounts: Accounts) -> None:
    from chatroom.extensions import db
    from chatroom.models import User
    from chatroom.services import accounts as account_service
    from chatroom.services import batch_apply

    alice_id = accounts.signup("alice").user["id"]  # type: ignore[attr-defined]
    bob = joined(accounts, "bob")
    with db.session() as s:
        alice = s.get(User, alice_id)
        assert alice is not None
        author = account_service.start_session(s, alice)
    with db.session() as s:
        applied = batch_apply.apply_batch(s, [batch_apply.SendOp(author, "general", f"b{i}", None) for i in range(3)])
    broadcaster.publish(applied.broadcasts)
    frames = bob.get_received()
    assert [frame["name"] for frame in frames] == ["batch"]
    batch = frames[0]["args"][0]
    assert batch["room"] == "general" and batch["vote"] == []
    assert [m["body"] for m in batch["data"]] == ["b0", "b1", "b2"]
    assert [m["seq"] for m in batch["data"]] == [1, 2, 3]


def test_a_socket_whose_session_vanished_is_told_and_closed_at_its_next_recheck(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Log-out normally closes sockets at once; the periodic re-check covers a missed signal."""
    sock = joined(accounts, "alice")
    with db.session() as s:
        s.execute(delete(AuthSession))  # the session ends without its sockets hearing of it
        s.commit()
    assert ack(sock, "join", {"room": "general"})["ok"]  # not re-checked yet
    monkeypatch.setattr(handlers, "SESSION_RECHECK_SECONDS", 0.0)
    answer = ack(sock, "join", {"room": "general"})
    assert answer["ok"] is False
    assert answer["error"]["code"] == "unauthorized"
    assert not sock.is_connected()


def test_joining_an_unknown_room_enters_no_channel(accounts: Accounts) -> None:
    """Invented room names must not each leave a channel behind in the server's memory."""
    sock = accounts.socket(accounts.signup("roomhunter"))
    for i in range(20):
        assert ack(sock, "join", {"room": f"invented-{i}"})["error"]["code"] == "not_found"
    assert ack(sock, "join", {"room": "general"})["ok"]
    channels = set(socketio.server.manager.rooms.get("/", {}))
    assert "room:general" in channels
    assert not [name for name in channels if isinstance(name, str) and name.startswith("room:invented-")]
