"""Rooms: slugs, creation, membership, read positions and unread counts (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from flask import Flask

from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.services import accounts, messages, rooms
from chatroom.services.writer import GroupWriter
from tests.conftest import PASSWORD


def no_one_online(slugs: list[str]) -> Mapping[str, int]:
    return dict.fromkeys(slugs, 0)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Café Ünicode", "cafe-unicode"),
        ("  Hello,   World!! ", "hello-world"),
        ("--Rust__and  C++--", "rust-and-c"),
        ("x" * 39 + " y", "x" * 39),
        ("a" * 45, "a" * 40),
        ("Ça va? Ōkami", "ca-va-okami"),
    ],
)
def test_slug_folds_accents_lowercases_and_joins_runs(name: str, slug: str) -> None:
    assert rooms.slugify(name) == slug


@pytest.fixture
def app_on(any_db_url: str, make_app: Callable[..., Flask]) -> Flask:
    return make_app(any_db_url)


def person(name: str) -> accounts.SessionUser:
    with db.session() as s:
        return accounts.start_session(s, accounts.sign_up(s, f"{name}@example.com", name, PASSWORD))


def test_create_list_and_describe_rooms(app_on: Flask) -> None:
    alice, bob = person("alice"), person("bob")
    with db.session() as s:
        created = rooms.create_room(s, alice.id, "  Café Ünicode ", " about coffee ")
        assert (created.slug, created.name, created.topic) == ("cafe-unicode", "Café Ünicode", "about coffee")
        rooms.create_room(s, bob.id, "aardvarks", None)
        rooms.create_room(s, bob.id, "Zebras", None)
        listed = rooms.list_rooms(s, alice.id, no_one_online)
        # Alice's own (general from sign-up, and the room she created) first, by name ignoring case.
        assert [(r["slug"], r["member"]) for r in listed] == [
            ("cafe-unicode", True),
            ("general", True),
            ("aardvarks", False),
            ("zebras", False),
        ]
        described = rooms.describe_room(s, alice.id, "cafe-unicode", lambda slugs: {"cafe-unicode": 3})
        assert set(described) == {"slug", "name", "topic", "created_at", "member", "unread", "online", "mentions"}
        assert described["online"] == 3
        assert described["created_at"].endswith("Z")
        with pytest.raises(ChatError) as missing:
            rooms.describe_room(s, alice.id, "nowhere", no_one_online)
        assert missing.value.code == "not_found"


@pytest.mark.parametrize(
    ("name", "topic", "field"),
    [
        ("!!!", None, "name"),
        ("漢字", None, "name"),
        ("   ", None, "name"),
        ("x" * 41, None, "name"),
        ("ok", "t" * 201, "topic"),
    ],
)
def test_invalid_rooms_are_refused_naming_the_field(app_on: Flask, name: str, topic: str | None, field: str) -> None:
    alice = person("alice")
    with db.session() as s, pytest.raises(ChatError) as refused:
        rooms.create_room(s, alice.id, name, topic)
    assert (refused.value.code, refused.value.field) == ("invalid", field)


def test_a_taken_slug_is_409_on_name(app_on: Flask) -> None:
    alice = person("alice")
    with db.session() as s:
        rooms.create_room(s, alice.id, "Café", None)
        with pytest.raises(ChatError) as taken:
            rooms.create_room(s, alice.id, "CAFE!", None)
    assert (taken.value.code, taken.value.field) == ("taken", "name")


def test_unread_counts_others_messages_above_the_read_position_and_never_moves_back(app_on: Flask) -> None:
    alice, bob = person("alice"), person("bob")
    writer = GroupWriter(synchronous=True)
    ids = [messages.send_message(writer, alice, "general", f"m{i}", None).message["id"] for i in range(3)]
    messages.send_message(writer, bob, "general", "bob's own", None)
    with db.session() as s:
        general = rooms.get_room(s, "general")
        assert rooms.unread_count(s, bob.id, general.id) == 3
        assert rooms.unread_count(s, alice.id, general.id) == 1
        first = rooms.mark_read(s, bob.id, "general", ids[1])
        assert (first.unread, first.moved) == (1, True)
        back = rooms.mark_read(s, bob.id, "general", ids[0])
        assert (back.unread, back.moved) == (1, False)
        # An id beyond the room's latest message marks only what exists as read.
        ahead = rooms.mark_read(s, bob.id, "general", 10**12)
        assert ahead.unread == 0
    later = messages.send_message(writer, alice, "general", "later", None).message["id"]
    with db.session() as s:
        assert rooms.unread_count(s, bob.id, rooms.get_room(s, "general").id) == 1
        assert later > ids[-1]
        with pytest.raises(ChatError) as missing:
            rooms.mark_read(s, bob.id, "nowhere", 1)
        assert missing.value.code == "not_found"


def test_new_members_start_with_everything_read_and_leaving_ends_membership(app_on: Flask) -> None:
    alice, bob = person("alice"), person("bob")
    writer = GroupWriter(synchronous=True)
    with db.session() as s:
        rooms.create_room(s, alice.id, "Books", None)
    messages.send_message(writer, alice, "books", "before bob", None)
    with db.session() as s:
        books = rooms.get_room(s, "books")
        rooms.join(s, bob.id, "books")
        rooms.join(s, bob.id, "books")  # again: still one membership
        assert rooms.unread_count(s, bob.id, books.id) == 0
        assert [r["member"] for r in rooms.list_rooms(s, bob.id, no_one_online) if r["slug"] == "books"] == [True]
    messages.send_message(writer, alice, "books", "after bob", None)
    with db.session() as s:
        assert rooms.unread_count(s, bob.id, rooms.get_room(s, "books").id) == 1
        rooms.leave(s, bob.id, "books")
        listed = {r["slug"]: r for r in rooms.list_rooms(s, bob.id, no_one_online)}
        assert (listed["books"]["member"], listed["books"]["unread"]) == (False, 0)
