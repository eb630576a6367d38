"""Full-text search in a room's messages (docs/protocol.md, `GET /api/rooms/<slug>/search`).

One function, `search_messages`, with one engine per database behind it (migration 0007):

- PostgreSQL: `messages.search_vector`, a stored generated tsvector ('simple' configuration)
  of `chatroom_search_text(body)` (unaccent, then ASCII punctuation to spaces), a GIN index
  on it, and `ts_rank` for relevance.
- SQLite: `messages_fts`, an external-content FTS5 table (`unicode61 remove_diacritics 2`)
  kept in step with `messages` by triggers, and `bm25` for relevance.

The text a person types is never handed to either database as query syntax. The words are
extracted here (`query_words`), and each is passed as a bound parameter inside a quoted term
that the database tokenizes as text: on PostgreSQL `'word'` built around
`chatroom_search_text(:w)`, which has removed every ASCII quote and backslash; on SQLite
`"word"`, where a word (letters, digits and combining marks only) cannot hold a double quote.
Every word is required; the last one also matches as a prefix.

Results are ordered by relevance, best first, then by id, newest first. The next page is
asked for with a cursor that holds the last result's relevance and id (`_Cursor`).
Highlights are computed here from the bodies with the same word rules on both databases.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from chatroom.errors import ChatError
from chatroom.models import Message
from chatroom.schemas import MAX_ID, MAX_SEARCH_PAGE_SIZE, SEARCH_PAGE_SIZE, SEARCH_QUERY_MAX_CHARS
from chatroom.services.messages import with_my_vote, within_page_bytes
from chatroom.services.rooms import get_room
from chatroom.wire import message_view

__all__ = [
    "SearchPage",
    "check_query",
    "fold",
    "highlight_spans",
    "postgresql_query",
    "query_words",
    "search_messages",
    "word_spans",
]

# Letters that unaccent folds and Unicode decomposition does not (NFKD leaves them whole).
# PostgreSQL folds them; SQLite's remove_diacritics does not, so there `ore` misses `øre`.
_EXTRA_FOLDS = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t", "ı": "i", "æ": "ae", "œ": "oe", "ß": "ss", "þ": "th"}  # noqa: RUF001
)


@dataclass(frozen=True)
class SearchPage:
    messages: list[dict[str, Any]]
    # Message id (as a string, a JSON object key) -> [start, end) spans of its body.
    highlights: dict[str, list[list[int]]]
    has_more: bool
    next_cursor: str | None


def _is_letter_or_digit(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def word_spans(body: str) -> list[tuple[int, int]]:
    """Where the words of `body` are, as [start, end) offsets in code points.

    A word is a run of letters and digits (Unicode categories L and N), with the combining
    marks that follow them (category M); everything else separates words. Both databases'
    tokenizers split text the same way for ordinary text (FTS5's unicode61, and PostgreSQL's
    parser once chatroom_search_text has turned ASCII punctuation into spaces).
    """
    spans: list[tuple[int, int]] = []
    start = -1
    for index, char in enumerate(body):
        if _is_letter_or_digit(char) or (start >= 0 and unicodedata.category(char)[0] == "M"):
            if start < 0:
                start = index
        elif start >= 0:
            spans.append((start, index))
            start = -1
    if start >= 0:
        spans.append((start, len(body)))
    return spans


def query_words(q: str) -> list[str]:
    """The words of a query, as typed (the databases and `fold` fold them)."""
    return [q[start:end] for start, end in word_spans(q)]


def fold(word: str) -> str:
    """A word as compared: compatibility-decomposed, without its combining marks, case-folded."""
    decomposed = unicodedata.normalize("NFKD", word)
    bare = "".join(char for char in decomposed if unicodedata.category(char)[0] != "M")
    return bare.casefold().translate(_EXTRA_FOLDS)


def highlight_spans(body: str, words: list[str]) -> list[list[int]]:
    """The [start, end) spans of `body` that match the query `words`: a word equal to one of
    them, or starting with the last one (the whole word is highlighted), ignoring case and accents."""
    if not words:
        return []
    whole = {fold(word) for word in words[:-1]}
    prefix = fold(words[-1])
    found: list[list[int]] = []
    for start, end in word_spans(body):
        folded = fold(body[start:end])
        if folded in whole or folded.startswith(prefix):
            found.append([start, end])
    return found


@dataclass(frozen=True)
class _Cursor:
    """Where a page ended: the relevance and id of its last message, and a fingerprint of the
    room and words it belongs to. Sent as URL-safe base64 of a JSON array; clients treat it
    as opaque."""

    score: float
    message_id: int
    fingerprint: str

    def encode(self) -> str:
        raw = json.dumps([self.score, self.message_id, self.fingerprint], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def decode(value: str) -> _Cursor:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            score, message_id, fingerprint = json.loads(raw)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise _bad_cursor() from None
        if (
            not isinstance(score, int | float)
            or isinstance(score, bool)
            or not math.isfinite(score)
            or not isinstance(message_id, int)
            or isinstance(message_id, bool)
            or not 1 <= message_id <= MAX_ID
            or not isinstance(fingerprint, str)
        ):
            raise _bad_cursor()
        return _Cursor(float(score), message_id, fingerprint)


def _bad_cursor() -> ChatError:
    return ChatError("invalid", "cursor: not a cursor of this search; start again without one", "cursor")


def _fingerprint(room_id: int, words: list[str]) -> str:
    return hashlib.sha256(f"{room_id}\n{' '.join(fold(w) for w in words)}".encode()).hexdigest()[:12]


def check_query(q: str) -> None:
    """Raise invalid unless `q` is 1-SEARCH_QUERY_MAX_CHARS characters and not only whitespace."""
    if not 1 <= len(q) <= SEARCH_QUERY_MAX_CHARS or not q.strip():
        raise ChatError("invalid", f"q: 1-{SEARCH_QUERY_MAX_CHARS} characters, not only spaces", "q")


def search_messages(
    session: Session,
    reader_id: int,
    room_slug: str,
    q: str,
    limit: int = SEARCH_PAGE_SIZE,
    cursor: str | None = None,
) -> SearchPage:
    """A page of the room's messages matching `q`: most relevant first, newest first among
    equals, with the reader's own votes and the spans of each body that matched.

    Deleted messages are never found; edited ones are found by their current body. `limit`
    above MAX_SEARCH_PAGE_SIZE is served as that; below 1 is invalid, as are a bad `q`
    (check_query) and a cursor that is not one of this room and query. A page also stops
    before its bodies pass the history pages' size bound (`has_more` is then true).
    """
    check_query(q)
    if limit < 1:
        raise ChatError("invalid", "limit: at least 1", "limit")
    limit = min(limit, MAX_SEARCH_PAGE_SIZE)
    room = get_room(session, room_slug)
    words = query_words(q)
    fingerprint = _fingerprint(room.id, words)
    after = None
    if cursor is not None:
        after = _Cursor.decode(cursor)
        if after.fingerprint != fingerprint:
            raise _bad_cursor()
    if not words:
        # Only punctuation or symbols: nothing to look for, and nothing is an error.
        return SearchPage([], {}, False, None)
    if session.get_bind().dialect.name == "postgresql":
        hits = _postgresql_hits(session, room.id, words, after, limit + 1)
    else:
        hits = _sqlite_hits(session, room.id, words, after, limit + 1)
    has_more = len(hits) > limit
    hits = hits[:limit]
    found = {
        row.id: row
        for row in session.execute(
            with_my_vote(reader_id).where(Message.id.in_([message_id for message_id, _ in hits]))
        ).all()
    }
    rows = [(found[message_id], score) for message_id, score in hits if message_id in found]
    kept = within_page_bytes([row for row, _ in rows])
    has_more = has_more or kept < len(rows)
    rows = rows[:kept]
    next_cursor = None
    if has_more and rows:
        last, score = rows[-1]
        next_cursor = _Cursor(score, last.id, fingerprint).encode()
    return SearchPage(
        [message_view(row, room.slug) for row, _ in rows],
        {str(row.id): highlight_spans(row.body, words) for row, _ in rows},
        has_more,
        next_cursor,
    )


def _after_clause(after: _Cursor | None, params: dict[str, Any]) -> str:
    if after is None:
        return ""
    params.update(after_score=after.score, after_id=after.message_id)
    return "WHERE score < :after_score OR (score = :after_score AND id < :after_id)"


def _postgresql_hits(
    session: Session, room_id: int, words: list[str], after: _Cursor | None, count: int
) -> list[tuple[int, float]]:
    sql, params = postgresql_query(room_id, words, after, count)
    return [(int(message_id), float(score)) for message_id, score in session.execute(text(sql), params)]


def postgresql_query(
    room_id: int, words: list[str], after: _Cursor | None = None, count: int = SEARCH_PAGE_SIZE + 1
) -> tuple[str, dict[str, Any]]:
    """The PostgreSQL statement of a search and its parameters (tests EXPLAIN it)."""
    # Each word becomes a quoted lexeme around chatroom_search_text(:wN), which folds it as
    # the column folds bodies and leaves no ASCII quote or backslash to end the quotes early.
    terms = [
        f"'''' || chatroom_search_text(:w{i}) || '''{':*' if i == len(words) - 1 else ''}'" for i in range(len(words))
    ]
    query = "to_tsquery('simple'::regconfig, " + " || ' & ' || ".join(terms) + ")"
    params: dict[str, Any] = {f"w{i}": word for i, word in enumerate(words)}
    params.update(room_id=room_id, count=count)
    # ts_rank is a float4, which reaches Python as its shortest decimal: a different double.
    # As float8 it round-trips exactly, so the cursor's `score = :after_score` holds.
    sql = (
        # Only placeholders are interpolated: the words are bound parameters.
        f"SELECT id, score FROM (SELECT m.id AS id, CAST(ts_rank(m.search_vector, {query}) AS float8) AS score "  # noqa: S608
        f"FROM messages m WHERE m.room_id = :room_id AND NOT m.deleted AND m.search_vector @@ {query}) AS hits "
        f"{_after_clause(after, params)} ORDER BY score DESC, id DESC LIMIT :count"
    )
    return sql, params


def _sqlite_hits(
    session: Session, room_id: int, words: list[str], after: _Cursor | None, count: int
) -> list[tuple[int, float]]:
    # FTS5 ANDs the quoted phrases; `*` after the last makes it a prefix. bm25 is lower for
    # better matches, so its negation orders like ts_rank.
    match = " ".join(f'"{word}"' for word in words) + "*"
    params: dict[str, Any] = {"match": match, "room_id": room_id, "count": count}
    sql = (
        "SELECT id, score FROM (SELECT m.id AS id, -bm25(messages_fts) AS score "  # noqa: S608 - `match` is bound
        "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
        "WHERE messages_fts MATCH :match AND m.room_id = :room_id AND NOT m.deleted) AS hits "
        f"{_after_clause(after, params)} ORDER BY score DESC, id DESC LIMIT :count"
    )
    return [(int(message_id), float(score)) for message_id, score in session.execute(text(sql), params)]
