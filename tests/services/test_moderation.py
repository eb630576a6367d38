"""Roles, edits, deletes, mutes and the moderation log, as services (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.models import Message, ModerationEntry, Mute, Room, User, Vote, utcnow
from chatroom.ratelimits import socket_limits
from chatroom.services import accounts, messages, moderation, votes
from chatroom.services.accounts import SessionUser
from chatroom.services.rooms import get_room
from chatroom.services.writer import GroupWriter
from chatroom.wire import RoomRef
from tests.conftest import PASSWORD

WRITER = GroupWriter(socket_limits, synchronous=True)
WINDOW = 900


@pytest.fixture
def app(any_db_url: str, make_app: Callable[..., Flask]) -> Flask:
    return make_app(any_db_url)


def make_user(name: str) -> SessionUser:
    with db.session() as s:
        user = accounts.sign_up(s, f"{name}@example.com", name, PASSWORD)
        return accounts.start_session(s, user)


@pytest.fixture
def people(app: Flask) -> dict[str, SessionUser]:
    """admin (the first account), a moderator, and the members ann and bob."""
    admin = make_user("admin")
    found = {"admin": admin, "mod": make_user("mod"), "ann": make_user("ann"), "bob": make_user("bob")}
    with db.session() as s:
        moderation.set_role(s, admin, "mod", "moderator")
    return found


def code_of(call: Callable[[], Any]) -> str:
    with pytest.raises(ChatError) as caught:
        call()
    return caught.value.code


def send(user: SessionUser, body: str = "hello", room: str = "general") -> dict[str, Any]:
    return messages.send_message(WRITER, user, room, body, None).message


def edit(user: SessionUser, message_id: int, body: str, window: int = WINDOW) -> dict[str, Any]:
    return messages.edit_message(WRITER, user, message_id, body, window).message


def delete(user: SessionUser, message_id: int, reason: str | None = None) -> dict[str, Any]:
    return messages.delete_message(WRITER, user, message_id, reason).message


def log_of(room: str = "general", *, roles: bool = False) -> list[dict[str, Any]]:
    """The room's log; without the `role` entries unless asked (`people` makes a moderator)."""
    with db.session() as s:
        entries = moderation.moderation_log(s, room, None, 100).entries
    return [e for e in entries if roles or e["action"] != "role"]


def role_in_db(username: str) -> str:
    with db.session() as s:
        return s.scalar(select(User.role).where(User.username == username)) or ""


# Roles


def test_the_first_account_is_admin_and_later_ones_are_members(app: Flask) -> None:
    first, second = make_user("first"), make_user("second")
    assert (first.role, second.role) == ("admin", "member")
    assert (role_in_db("first"), role_in_db("second")) == ("admin", "member")


def test_two_first_sign_ups_at_once_make_one_admin(app: Flask) -> None:
    """The first sign-up's transaction is still open when the second runs: the second must
    wait for it and see its account, not decide on its own that the server is empty."""
    second: dict[str, bool] = {}

    def sign_up_second() -> None:
        with db.session() as s2:
            user = User(email="b@example.com", email_folded="b@example.com", username="b", password_hash="x")
            s2.add(user)
            s2.flush()
            second["admin"] = accounts._first_account(s2, user.id)
            s2.commit()

    with db.session() as s1:
        user = User(email="a@example.com", email_folded="a@example.com", username="a", password_hash="x")
        s1.add(user)
        s1.flush()
        assert accounts._first_account(s1, user.id)
        racer = threading.Thread(target=sign_up_second)
        racer.start()
        s1.commit()
    racer.join(timeout=30)
    assert second == {"admin": False}


def test_admins_appoint_and_remove_moderators_and_it_is_logged_in_general(people: dict[str, SessionUser]) -> None:
    admin = people["admin"]
    assert role_in_db("mod") == "moderator"
    with db.session() as s:
        assert moderation.set_role(s, admin, "ANN", "moderator").role == "moderator"
        assert moderation.set_role(s, admin, "ann", "member").role == "member"
        moderation.set_role(s, admin, "ann", "member")  # unchanged: not logged again
    entries = log_of(roles=True)
    assert [(e["action"], e["target"]["username"], e["role"]) for e in entries] == [
        ("role", "ann", "member"),
        ("role", "ann", "moderator"),
        ("role", "mod", "moderator"),
    ]
    assert all(e["moderator"] == {"id": admin.id, "username": "admin"} for e in entries)


@pytest.mark.parametrize(
    ("actor", "target", "role", "code"),
    [
        ("mod", "ann", "moderator", "forbidden"),
        ("ann", "bob", "moderator", "forbidden"),
        ("ann", "ann", "moderator", "forbidden"),
        ("admin", "ann", "admin", "invalid"),
        ("admin", "ann", "owner", "invalid"),
        ("admin", "ann", 5, "invalid"),
        ("admin", "nobody", "moderator", "not_found"),
        ("admin", "admin", "member", "forbidden"),
    ],
)
def test_role_changes_refused(people: dict[str, SessionUser], actor: str, target: str, role: object, code: str) -> None:
    with db.session() as s:
        assert code_of(lambda: moderation.set_role(s, people[actor], target, role)) == code
    assert role_in_db("ann") == "member"


def test_a_demoted_moderator_loses_their_powers_at_once(people: dict[str, SessionUser]) -> None:
    message = send(people["ann"])
    with db.session() as s:
        moderation.set_role(s, people["admin"], "mod", "member")
    # A session resumed before the change still says "moderator": the database decides.
    stale = dataclasses.replace(people["mod"], role="moderator")
    assert code_of(lambda: delete(stale, message["id"], "spam")) == "forbidden"
    with db.session() as s:
        assert code_of(lambda: moderation.mute(s, stale, "general", "bob", 5, "spam")) == "forbidden"


def test_make_admin_promotes_and_refuses_unknown_names(people: dict[str, SessionUser]) -> None:
    with db.session() as s:
        assert moderation.make_admin(s, "bob").role == "admin"
        assert code_of(lambda: moderation.make_admin(s, "nobody")) == "not_found"
    assert role_in_db("bob") == "admin"


# Edits


def test_authors_edit_within_the_window_and_versions_are_kept(people: dict[str, SessionUser]) -> None:
    ann = people["ann"]
    original = send(ann, "helo")
    assert (original["edited_at"], original["deleted"]) == (None, False)
    first = edit(ann, original["id"], "  hello  ")
    assert first["body"] == "hello"
    assert first["edited_at"] is not None
    assert first["seq"] == original["seq"] + 1
    second = edit(ann, original["id"], "hello!")
    assert second["seq"] == first["seq"] + 1
    with db.session() as s:
        versions = messages.message_versions(s, people["bob"].id, original["id"])
    assert versions == [
        {"body": "helo", "edited_at": None},
        {"body": "hello", "edited_at": first["edited_at"]},
        {"body": "hello!", "edited_at": second["edited_at"]},
    ]
    with db.session() as s:
        assert messages.load_history(s, ann.id, "general").messages[-1] == {**second, "my_vote": 0}


def test_edit_refusals(people: dict[str, SessionUser]) -> None:
    ann, mod = people["ann"], people["mod"]
    message = send(ann, "mine")
    assert code_of(lambda: edit(people["bob"], message["id"], "theirs")) == "forbidden"
    assert code_of(lambda: edit(mod, message["id"], "a moderator's")) == "forbidden"
    assert code_of(lambda: edit(ann, 999_999, "x")) == "not_found"
    assert code_of(lambda: edit(ann, message["id"], "   ")) == "invalid"
    assert code_of(lambda: edit(ann, message["id"], "x" * 4001)) == "too_long"
    with db.session() as s:
        s.execute(update(Message).where(Message.id == message["id"]).values(created_at=utcnow() - timedelta(hours=1)))
        s.commit()
    assert code_of(lambda: edit(ann, message["id"], "too late")) == "forbidden"
    assert edit(ann, message["id"], "a longer window", window=7200)["body"] == "a longer window"
    fresh = send(ann, "to delete")
    delete(ann, fresh["id"])
    assert code_of(lambda: edit(ann, fresh["id"], "after deletion")) == "forbidden"


# Deletes


def test_authors_delete_their_own_without_a_log_entry(people: dict[str, SessionUser]) -> None:
    ann, bob = people["ann"], people["bob"]
    message = send(ann, "regret")
    votes.cast_vote(WRITER, bob, message["id"], 1)
    tombstone = delete(ann, message["id"])
    assert (tombstone["body"], tombstone["deleted"], tombstone["upvotes"], tombstone["score"]) == ("", True, 0, 0)
    assert tombstone["seq"] == message["seq"] + 2
    # Deleting again acks the same tombstone and takes no seq.
    assert delete(ann, message["id"]) == tombstone
    with db.session() as s:
        stored = s.get(Message, message["id"])
        assert stored is not None
        # The body and the votes stay in the database.
        assert (stored.body, stored.upvotes) == ("regret", 1)
        assert s.scalar(select(Vote.value).where(Vote.message_id == message["id"])) == 1
        assert messages.load_history(s, bob.id, "general").messages[-1]["body"] == ""
    assert log_of() == []


def test_delete_refusals(people: dict[str, SessionUser]) -> None:
    message = send(people["ann"], "keep")
    assert code_of(lambda: delete(people["bob"], message["id"])) == "forbidden"
    assert code_of(lambda: delete(people["bob"], message["id"], "I do not like it")) == "forbidden"
    assert code_of(lambda: delete(people["mod"], message["id"])) == "invalid"
    assert code_of(lambda: delete(people["mod"], message["id"], "   ")) == "invalid"
    assert code_of(lambda: delete(people["mod"], message["id"], "x" * 201)) == "invalid"
    assert code_of(lambda: delete(people["mod"], 999_999, "gone")) == "not_found"
    with db.session() as s:
        assert s.get(Message, message["id"]).deleted is False  # type: ignore[union-attr]


@pytest.mark.parametrize("moderator", ["mod", "admin"])
def test_moderators_delete_with_a_reason_and_it_is_logged(people: dict[str, SessionUser], moderator: str) -> None:
    ann, actor = people["ann"], people[moderator]
    message = send(ann, "spam spam")
    tombstone = delete(actor, message["id"], " " + "r" * 200 + " ")
    assert tombstone["deleted"] is True
    (entry,) = log_of()
    assert entry == {
        "id": entry["id"],
        "action": "delete",
        "moderator": {"id": actor.id, "username": moderator},
        "target": {"id": ann.id, "username": "ann"},
        "message_id": message["id"],
        "reason": "r" * 200,
        "until": None,
        "role": None,
        "created_at": entry["created_at"],
    }
    # Only moderators and admins still read what was deleted.
    with db.session() as s:
        assert code_of(lambda: messages.message_versions(s, ann.id, message["id"])) == "not_found"
        assert messages.message_versions(s, actor.id, message["id"]) == [{"body": "spam spam", "edited_at": None}]


def test_votes_on_a_deleted_message_are_refused(people: dict[str, SessionUser]) -> None:
    message = send(people["ann"])
    delete(people["ann"], message["id"])
    assert code_of(lambda: votes.cast_vote(WRITER, people["bob"], message["id"], 1)) == "forbidden"


def test_a_catch_up_returns_edited_and_deleted_messages_in_their_current_state(people: dict[str, SessionUser]) -> None:
    ann, bob = people["ann"], people["bob"]
    edited, deleted, untouched = send(ann, "one"), send(ann, "two"), send(ann, "three")
    with db.session() as s:
        watermark = messages.join_room(s, bob.id, RoomRef.of(get_room(s, "general")), None).seq
    edit(ann, edited["id"], "one, edited")
    delete(people["mod"], deleted["id"], "off topic")
    with db.session() as s:
        joined = messages.join_room(s, bob.id, RoomRef.of(get_room(s, "general")), watermark)
    assert joined.seq == watermark + 2
    assert [(m["id"], m["body"], m["deleted"]) for m in joined.messages] == [
        (edited["id"], "one, edited", False),
        (deleted["id"], "", True),
    ]
    assert untouched["id"] not in [m["id"] for m in joined.messages]


# Mutes


def mute(actor: SessionUser, username: str, minutes: int = 10, reason: str = "flooding", room: str = "general") -> Any:
    with db.session() as s:
        return moderation.mute(s, actor, room, username, minutes, reason)


def unmute(actor: SessionUser, username: str, reason: str | None = None, room: str = "general") -> Any:
    with db.session() as s:
        return moderation.unmute(s, actor, room, username, reason)


def test_a_muted_person_cannot_send_there_until_unmuted_but_votes(people: dict[str, SessionUser]) -> None:
    mod, bob = people["mod"], people["bob"]
    message = send(people["ann"])
    entry = mute(mod, "Bob", 30, " flooding ")
    assert (entry["action"], entry["target"]["username"], entry["reason"]) == ("mute", "bob", "flooding")
    assert entry["until"] is not None
    with pytest.raises(ChatError) as caught:
        send(bob, "let me speak")
    assert caught.value.code == "muted"
    assert entry["until"] in caught.value.message
    # Other rooms, reading and voting are unaffected.
    with db.session() as s:
        from chatroom.services import rooms

        rooms.create_room(s, bob.id, "Elsewhere", None)
        assert moderation.active_mute(s, bob.id, get_room(s, "general")) == {
            "until": entry["until"],
            "reason": "flooding",
        }
        assert moderation.active_mute(s, bob.id, get_room(s, "elsewhere")) is None
    assert send(bob, "fine here", room="elsewhere")["body"] == "fine here"
    assert votes.cast_vote(WRITER, bob, message["id"], 1).my_vote == 1
    lifted = unmute(mod, "bob")
    assert lifted["action"] == "unmute"
    assert send(bob, "thanks")["body"] == "thanks"
    assert [e["action"] for e in log_of()] == ["unmute", "mute"]


def test_a_mute_that_runs_out_ends_by_itself(people: dict[str, SessionUser]) -> None:
    mute(people["mod"], "bob")
    with db.session() as s:
        s.execute(update(Mute).values(until=utcnow() - timedelta(seconds=1)))
        s.commit()
        assert moderation.active_mute(s, people["bob"].id, get_room(s, "general")) is None
    assert send(people["bob"], "back")["body"] == "back"
    # Lifting a mute that already ended logs nothing.
    assert unmute(people["mod"], "bob") is None
    assert [e["action"] for e in log_of()] == ["mute"]


def test_muting_again_replaces_the_end(people: dict[str, SessionUser]) -> None:
    first = mute(people["mod"], "bob", 10)
    second = mute(people["admin"], "bob", 60, "still flooding")
    assert second["until"] > first["until"]
    with db.session() as s:
        assert moderation.active_mute(s, people["bob"].id, get_room(s, "general")) == {
            "until": second["until"],
            "reason": "still flooding",
        }
        assert len(list(s.scalars(select(Mute)))) == 1


@pytest.mark.parametrize(
    ("actor", "username", "minutes", "reason", "room", "code"),
    [
        ("ann", "bob", 10, "x", "general", "forbidden"),
        ("mod", "admin", 10, "x", "general", "forbidden"),
        ("admin", "mod", 10, "x", "general", "forbidden"),
        ("mod", "nobody", 10, "x", "general", "not_found"),
        ("mod", "bob", 10, "x", "nowhere", "not_found"),
        ("mod", "bob", 0, "x", "general", "invalid"),
        ("mod", "bob", 43_201, "x", "general", "invalid"),
        ("mod", "bob", 10, "  ", "general", "invalid"),
        ("mod", "bob", 10, "x" * 201, "general", "invalid"),
    ],
)
def test_mute_refusals(
    people: dict[str, SessionUser], actor: str, username: str, minutes: int, reason: str, room: str, code: str
) -> None:
    assert code_of(lambda: mute(people[actor], username, minutes, reason, room)) == code
    assert log_of() == []


def test_unmute_refusals(people: dict[str, SessionUser]) -> None:
    mute(people["mod"], "bob")
    assert code_of(lambda: unmute(people["ann"], "bob")) == "forbidden"
    assert code_of(lambda: unmute(people["mod"], "nobody")) == "not_found"
    assert code_of(lambda: unmute(people["mod"], "bob", room="nowhere")) == "not_found"
    assert code_of(lambda: unmute(people["mod"], "bob", "x" * 201)) == "invalid"
    assert code_of(lambda: send(people["bob"])) == "muted"


def test_the_longest_mute_is_30_days(people: dict[str, SessionUser]) -> None:
    assert mute(people["mod"], "bob", 43_200)["until"] is not None


# The log


def test_the_log_pages_newest_first(people: dict[str, SessionUser]) -> None:
    for minutes in range(1, 5):  # four mutes after the fixture's role change: five entries
        mute(people["mod"], "bob", minutes)
    with db.session() as s:
        first = moderation.moderation_log(s, "general", None, 2)
        second = moderation.moderation_log(s, "general", first.entries[-1]["id"], 2)
        third = moderation.moderation_log(s, "general", second.entries[-1]["id"], 2)
        assert code_of(lambda: moderation.moderation_log(s, "nowhere", None)) == "not_found"
    ids = [e["id"] for e in first.entries + second.entries + third.entries]
    assert ids == sorted(ids, reverse=True) and len(ids) == 5
    assert (first.has_more, second.has_more, third.has_more) == (True, True, False)
    with db.session() as s:
        assert len(list(s.scalars(select(ModerationEntry)))) == 5


# Races with other processes (PostgreSQL: on SQLite a batch holds the write lock from its first read)


@pytest.mark.postgres
@pytest.mark.parametrize("racing", ["upvote", "edit", "moderator delete"])
def test_an_op_that_read_a_message_before_another_process_deleted_it_is_planned_again(
    pg_url: str, make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch, racing: str
) -> None:
    from chatroom.services import batch_apply

    make_app(pg_url)
    admin, ann, bob = make_user("admin"), make_user("ann"), make_user("bob")
    message = send(ann, "about to go")
    read_rows = batch_apply._read_rows
    raced: list[bool] = []

    def read_then_race(session: Any, ops: Any, known_rooms: Any, *rest: Any) -> Any:
        rows = read_rows(session, ops, known_rooms, *rest)
        if not raced:
            # Between this batch's read and its room lock, the author deletes the message
            # through another connection, as another process would.
            raced.append(True)
            with db.session() as other:
                batch_apply.apply_batch(other, [batch_apply.DeleteOp(ann, message["id"], None)])
        return rows

    monkeypatch.setattr(batch_apply, "_read_rows", read_then_race)
    if racing == "upvote":
        assert code_of(lambda: votes.cast_vote(WRITER, bob, message["id"], 1)) == "forbidden"
    elif racing == "edit":
        assert code_of(lambda: edit(ann, message["id"], "edited too late")) == "forbidden"
    else:
        assert delete(admin, message["id"], "spam")["deleted"] is True
        assert log_of() == []  # the author's own delete came first: nothing for the moderator to log
    assert raced == [True]
    with db.session() as s:
        stored = s.get(Message, message["id"])
        assert stored is not None
        # One change after the message, the delete: the retried batch left no gap.
        assert (stored.deleted, stored.body, stored.upvotes, stored.seq) == (True, "about to go", 0, message["seq"] + 1)
        assert s.scalar(select(Room.seq).where(Room.slug == "general")) == message["seq"] + 1
