"""Search (services/search.py): the same cases on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.models import Room
from chatroom.services import messages, search
from chatroom.services.accounts import SessionUser
from tests.services.test_messages import WRITER, make_user

# Every character and operator the two query languages give a meaning to, alone and mixed
# with words: each is searched for as text (or ignored) and never fails.
HOSTILE = [
    "'", '"', "%", "_", ":*", "&", "|", "!", "(", ")", "<->", "NEAR", "AND", "OR", "NOT", "-", "*", "^", "\\",
    "+", "{", "}", "[", "]", ":", ";", "~", "@", "$", "#", "=", ">", "<", ",", ".", "/", "?", "`",
    '"unbalanced', "cafe\" OR \"x", "a:* & b", "NEAR(cafe salt, 2)", "body:cafe", "body : cafe", "cafe*",
    "*cafe", "^cafe", "-cafe", "%cafe%", "c_fe", "!cafe", "(cafe", "cafe)", "cafe <-> salt", "cafe <2> salt",
    "cafe & !salt", "cafe | salt", "'cafe'", "''", "'; DROP TABLE messages; --", "cafe' & 'salt",
    "\\' cafe", "a''b", "{cafe salt}", "cafe AND salt", "cafe OR salt", "NOT cafe", "cafe NOT salt",
    "ʼcafeʼ", "‘cafe’", "＂cafe＂", "½", "™", "…", "ﬁ", "\u0301", "x\u0301", "🎉", "🎉cafe🎉", "%_%", "%%%%",  # noqa: RUF001
    "cafe:*", "cafe:A", "cafe:*A", "salt:B*", "a & (b | !c) <-> d", "^", "\x01", "\t%", "\u200b", "\ufeff",
    # Letters that unaccent turns into ASCII punctuation (U+02BC into a quote), inside words.
    "ʼ", "donʼt", "ʼ & ʼ", "cafeʼ:*", "ǃcafe", "＆", "ⅰ", "℀", "⅛",  # noqa: RUF001
]  # fmt: skip


@pytest.fixture
def app(any_db_url: str, make_app: Callable[..., Flask]) -> Flask:
    return make_app(any_db_url)


@pytest.fixture
def alice(app: Flask) -> SessionUser:
    return make_user("alice")


def send(user: SessionUser, body: str, room: str = "general") -> int:
    return int(messages.send_message(WRITER, user, room, body, None).message["id"])


def find(reader: SessionUser, q: str, limit: int = 50, cursor: str | None = None, room: str = "general") -> Any:
    with db.session() as s:
        return search.search_messages(s, reader.id, room, q, limit, cursor)


def ids(q: str, reader: SessionUser) -> list[int]:
    return [m["id"] for m in find(reader, q).messages]


def code_of(call: Callable[[], Any]) -> tuple[str, str | None]:
    with pytest.raises(ChatError) as caught:
        call()
    return caught.value.code, caught.value.field


def test_more_occurrences_rank_first_and_equals_come_newest_first(alice: SessionUser) -> None:
    once = send(alice, "apple pie")
    often = send(alice, "apple apple apple")
    send(alice, "banana split")
    once_again = send(alice, "apple pie")
    page = find(alice, "apple")
    assert [m["id"] for m in page.messages] == [often, once_again, once]
    assert (page.has_more, page.next_cursor) == (False, None)


def test_every_word_is_required_and_only_the_last_is_a_prefix(alice: SessionUser) -> None:
    time = send(alice, "coffee time")
    house = send(alice, "coffeehouse tea")
    tea = send(alice, "tea coffee")
    assert sorted(ids("coff", alice)) == [time, house, tea]
    assert ids("coff tea", alice) == []
    assert sorted(ids("tea coff", alice)) == [house, tea]
    assert ids("coffee tea", alice) == [tea]
    assert sorted(ids("coffee", alice)) == [time, house, tea]  # the last word is a prefix of coffeehouse


@pytest.mark.parametrize("q", ["cafe", "CAFÉ", "café", "Cafe", "caf", "CAFE\u0301"])
def test_accents_and_case_are_folded_both_ways(alice: SessionUser, q: str) -> None:
    accented = send(alice, "Café au lait")
    plain = send(alice, "CAFE NOIR")
    page = find(alice, q)
    assert sorted(m["id"] for m in page.messages) == [accented, plain]
    assert page.highlights == {str(accented): [[0, 4]], str(plain): [[0, 4]]}


def test_cyrillic_words(alice: SessionUser) -> None:
    hello = send(alice, "Привет, мир!")
    send(alice, "Пока")
    assert ids("привет", alice) == [hello]
    assert ids("ПРИВ", alice) == [hello]
    assert ids("мир привет", alice) == [hello]
    assert find(alice, "мир").highlights == {str(hello): [[8, 11]]}


def test_cjk_runs_are_whole_words(alice: SessionUser) -> None:
    tower = send(alice, "東京タワー に行きたい")
    send(alice, "大阪城")
    assert ids("東京タワー", alice) == [tower]
    assert ids("東京", alice) == [tower]  # a prefix of the run, as the last word
    assert find(alice, "東京タワー").highlights == {str(tower): [[0, 5]]}
    assert ids("タワー", alice) == []  # inside a run is not a word start


@pytest.mark.parametrize("q", HOSTILE)
def test_query_syntax_is_never_syntax(alice: SessionUser, q: str) -> None:
    send(alice, "cafe and salt, near the station or not")
    page = find(alice, q)
    assert isinstance(page.messages, list)
    assert set(page.highlights) == {str(m["id"]) for m in page.messages}


def test_operator_words_and_punctuated_words_are_found_as_text(alice: SessionUser) -> None:
    words = send(alice, "salt and pepper, near the station, or not")
    percent = send(alice, "100% sure: a_b example.com")
    for q in ("AND", "and", "NEAR", "OR", "NOT", '"salt" AND', "salt AND pepper", "-salt", "salt*", "(salt)"):
        assert ids(q, alice) == [words], q
    for q in ("100%", "%100", "example.com", "example", "a_b", "b", "sure:"):
        assert ids(q, alice) == [percent], q
    assert ids("salt OR nothing", alice) == []  # OR is a word like any other, and required


def test_deleted_messages_are_never_found(alice: SessionUser) -> None:
    kept = send(alice, "secret plan one")
    gone = send(alice, "secret plan two")
    messages.delete_message(WRITER, alice, gone, None)
    assert ids("secret", alice) == [kept]
    assert ids("two", alice) == []


def test_edited_messages_are_found_by_their_current_body(alice: SessionUser) -> None:
    message_id = send(alice, "original wording")
    messages.edit_message(WRITER, alice, message_id, "replacement text", 900)
    assert ids("replacement", alice) == [message_id]
    assert ids("original", alice) == []
    assert find(alice, "text").highlights == {str(message_id): [[12, 16]]}


def test_highlights_count_code_points_past_emoji(alice: SessionUser) -> None:
    message_id = send(alice, "🎉🎉 café time 👍🏽 Time-caféteria")
    assert find(alice, "cafe").highlights == {str(message_id): [[3, 7], [21, 30]]}
    # A prefix highlights the whole word; every query word is highlighted wherever it is.
    assert find(alice, "time caf").highlights == {str(message_id): [[3, 7], [8, 12], [16, 20], [21, 30]]}


def test_only_the_rooms_own_messages_are_found(alice: SessionUser) -> None:
    with db.session() as s:
        s.add(Room(slug="other", name="Other"))
        s.commit()
    here = send(alice, "lighthouse")
    send(alice, "lighthouse", room="other")
    assert ids("lighthouse", alice) == [here]


def test_the_readers_own_vote_comes_with_each_result(alice: SessionUser) -> None:
    from chatroom.services import votes

    message_id = send(alice, "vote for me")
    bob = make_user("bob")
    votes.cast_vote(WRITER, bob, message_id, 1)
    assert [m["my_vote"] for m in find(bob, "vote").messages] == [1]
    assert [m["my_vote"] for m in find(alice, "vote").messages] == [0]


def test_pages_follow_the_cursor_without_duplicates_or_gaps(alice: SessionUser) -> None:
    # Three relevance levels with many ties, so page boundaries fall inside runs of equals.
    for i in range(25):
        send(alice, " ".join(["needle"] * (1 + i % 3) + ["hay"] * (i % 2)))
    send(alice, "no match here")
    everything = [m["id"] for m in find(alice, "needle").messages]
    assert len(everything) == 25
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = find(alice, "needle", limit=7, cursor=cursor)
        seen += [m["id"] for m in page.messages]
        pages += 1
        if not page.has_more:
            assert page.next_cursor is None
            break
        assert page.next_cursor is not None
        cursor = page.next_cursor
    assert pages == 4
    assert seen == everything


def test_bad_cursors_are_invalid(alice: SessionUser) -> None:
    send(alice, "needle")
    send(alice, "needle")
    cursor = find(alice, "needle", limit=1).next_cursor
    assert cursor is not None
    forged = base64.urlsafe_b64encode(json.dumps(["x", 1, "abc"]).encode()).decode()
    for bad in ("garbage", "!!!", forged, base64.urlsafe_b64encode(b'[1e999, 1, "a"]').decode(), cursor[:-3]):
        assert code_of(lambda bad=bad: find(alice, "needle", cursor=bad)) == ("invalid", "cursor")
    # A cursor belongs to its query and room.
    assert code_of(lambda: find(alice, "hay", cursor=cursor)) == ("invalid", "cursor")


@pytest.mark.parametrize("q", ["", " ", " \t\n ", "x" * 201, " " * 200 + "x"])
def test_bad_queries_are_invalid(alice: SessionUser, q: str) -> None:
    assert code_of(lambda: find(alice, q)) == ("invalid", "q")


def test_limits(alice: SessionUser) -> None:
    for _ in range(60):
        send(alice, "plenty")
    assert code_of(lambda: find(alice, "plenty", limit=0)) == ("invalid", "limit")
    assert len(find(alice, "plenty", limit=500).messages) == 50
    assert len(find(alice, "x" * 199 + "y").messages) == 0
    assert code_of(lambda: find(alice, "plenty", room="nowhere")) == ("not_found", "room")


def test_words_follow_one_rule() -> None:
    body = "🎉 Don't stop—e\u0301tude_2 東京タワー「テスト」 x"
    assert [body[a:b] for a, b in search.word_spans(body)] == [
        "Don", "t", "stop", "e\u0301tude", "2", "東京タワー", "テスト", "x",
    ]  # fmt: skip
    assert search.fold("ÉTUDE") == search.fold("e\u0301tude") == "etude"
    assert search.fold("Straße") == "strasse"
    assert search.query_words("  :* cafe & (salt) ") == ["cafe", "salt"]


@pytest.mark.postgres
def test_search_uses_the_gin_index_in_a_big_room(make_app: Callable[..., Flask], pg_url: str) -> None:
    make_app(pg_url)
    author = make_user("author")
    with db.session() as s:
        room_id = s.scalars(select(Room.id).where(Room.slug == "general")).one()
        # Setup, not the code under test: the app's 5 s statement timeout is for requests.
        s.execute(text("SET LOCAL statement_timeout = '120s'"))
        s.execute(
            text(
                "INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq) "
                "SELECT :room, :author, 'message ' || g || ' about ' || (ARRAY['tea', 'coffee', 'cake', 'rain'])[1 + g % 4]"
                " || CASE WHEN g % 10000 = 0 THEN ' zeppelin' ELSE '' END, now(), 0, 0, g "
                "FROM generate_series(1, 100000) AS g"
            ),
            {"room": room_id, "author": author.id},
        )
        s.execute(text("UPDATE rooms SET seq = 100000 WHERE id = :room"), {"room": room_id})
        s.commit()
    # As autovacuum leaves a table: the GIN pending list merged (a bulk insert fills it, and the
    # planner prices reading it whole) and statistics current.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE messages"))
    with db.session() as s:
        sql, params = search.postgresql_query(room_id, ["zeppelin"])
        plan = "\n".join(s.scalars(text(f"EXPLAIN (COSTS OFF) {sql}"), params))
        page = search.search_messages(s, author.id, "general", "Zeppelin")
    assert "Bitmap Index Scan on ix_messages_search_vector" in plan, plan
    assert [m["body"] for m in page.messages][:2] == [
        "message 100000 about tea zeppelin",
        "message 90000 about tea zeppelin",
    ]
    assert len(page.messages) == 10
