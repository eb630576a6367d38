"""Bench databases: users, sessions and cookies made in bulk, rooms, and bulk history.

Signing up thousands of people through the API would measure argon2 (~50 ms each), not the
chat. Instead the benchmark inserts `bench<i>` users sharing one precomputed password hash
(so `POST /api/login` works for any of them with BENCH_PASSWORD), inserts one server-side
session per client straight into `auth_sessions`, and signs the matching Flask session
cookie with the server's SECRET_KEY. One cookie is checked through `GET /api/me` before use.
The socket handshake then does the real authentication work (cookie, session lookup).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

BENCH_PASSWORD = "bench password 0123456789"  # noqa: S105 - throwaway load-test accounts
COOKIE_NAME = "chatroom"
FANOUT_ROOM = "bench"
INGEST_ROOM = "ingest"
VOTES_ROOM = "votes"
# ingest-rooms: a busy community's shape, many rooms with a few listeners each.
INGEST_ROOMS = [f"ingest-{i:03d}" for i in range(100)]
JOIN_SIZES = {"join-1k": 1_000, "join-100k": 100_000, "join-1m": 1_000_000}
# A room that kept talking after the join rooms' history: its messages hold the top of the id
# space, as in a server where a big room went quiet while others did not. Without them the
# join rooms' newest rows would be the table's newest, and a plan that walks the primary key
# backwards would look as fast as one through the room's index.
JOIN_ELSEWHERE = "join-elsewhere"


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def sqlalchemy_url(url: str) -> str:
    return libpq(url).replace("postgresql://", "postgresql+psycopg://", 1)


@dataclass(frozen=True)
class BenchDatabases:
    """The product's and the seed baseline's databases on one PostgreSQL server."""

    server: str  # postgresql://user@host:port (no database)
    prefix: str = "chatroom_bench"

    @property
    def product(self) -> str:
        return f"{self.server}/{self.prefix}"

    @property
    def seed(self) -> str:
        return f"{self.server}/{self.prefix}_seed"

    def ensure(self) -> None:
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
            for name in (self.prefix, f"{self.prefix}_seed"):
                if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                    conn.execute(f'CREATE DATABASE "{name}"')

    def drop(self) -> None:
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
            for name in (self.prefix, f"{self.prefix}_seed"):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate_product(url: str, tree: Path) -> None:
    """Migrate with the migrations of the tree under test (it may differ from the checkout)."""
    code = "import sys; from chatroom.migrate import upgrade; upgrade(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, sqlalchemy_url(url)], cwd=tree, check=True)


def ensure_users(url: str, count: int) -> list[int]:
    """Ids of users bench0..bench<count-1>, created in bulk with one shared password hash."""
    with psycopg.connect(libpq(url)) as conn:
        have = conn.execute("SELECT count(*) FROM users WHERE email LIKE 'bench%%@bench.example.com'").fetchone()
        if have is None or have[0] < count:
            from chatroom.passwords import hash_password

            password_hash = hash_password(BENCH_PASSWORD)
            conn.execute(
                """
                INSERT INTO users (email, email_folded, username, password_hash, created_at)
                SELECT 'bench' || i || '@bench.example.com', 'bench' || i || '@bench.example.com', 'bench' || i, %s, now()
                FROM generate_series(0, %s - 1) AS i
                ON CONFLICT DO NOTHING
                """,
                (password_hash, count),
            )
        rows = conn.execute(
            "SELECT id FROM users WHERE email LIKE 'bench%%@bench.example.com' "
            "ORDER BY substring(username from 6)::int LIMIT %s",
            (count,),
        ).fetchall()
    return [int(r[0]) for r in rows]


def new_sessions(url: str, user_ids: list[int]) -> list[str]:
    """A fresh log-in session (token) per user, replacing the bench users' old ones."""
    tokens = [secrets.token_urlsafe(32) for _ in user_ids]
    with psycopg.connect(libpq(url)) as conn:
        conn.execute("DELETE FROM auth_sessions WHERE user_id = ANY(%s)", (user_ids,))
        with conn.cursor().copy(
            "COPY auth_sessions (token_hash, user_id, created_at, last_seen_at) FROM STDIN"
        ) as copy:
            for token, user_id in zip(tokens, user_ids, strict=True):
                stamp = "now"
                copy.write_row((hashlib.sha256(token.encode()).hexdigest(), user_id, stamp, stamp))
    return tokens


def session_cookies(secret_key: str, tokens: list[str]) -> list[str]:
    """`Cookie` header values a browser would hold after logging in with these sessions."""
    app = Flask("bench")
    app.secret_key = secret_key
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    # Flask-Login keeps the session token under _user_id (see chatroom.services.accounts).
    return [f"{COOKIE_NAME}={serializer.dumps({'_user_id': t, '_fresh': True})}" for t in tokens]


def ensure_rooms(url: str, slugs: list[str]) -> None:
    with psycopg.connect(libpq(url)) as conn:
        for slug in slugs:
            conn.execute(
                "INSERT INTO rooms (slug, name, seq, created_at) VALUES (%s, %s, 0, now()) ON CONFLICT (slug) DO NOTHING",
                (slug, slug.title()),
            )


# Bulk-loaded bodies are words drawn from a vocabulary of VOCABULARY_SIZE with a Zipf-like
# law (word i, counted from 0, is drawn with probability ln((i + 2) / (i + 1)) / ln(size)):
# COMMON_WORDS are the 40 most frequent, the others are made of two or three SYLLABLES. So a
# search meets what it meets in a real room: a few words in a large share of the messages, a
# long tail of rare ones, and prefixes shared by many words.
COMMON_WORDS = [
    "the", "and", "for", "you", "that", "this", "with", "have", "not", "but",
    "what", "all", "are", "was", "can", "just", "like", "know", "will", "one",
    "about", "get", "time", "think", "good", "when", "there", "see", "now", "new",
    "coffee", "meeting", "today", "tomorrow", "release", "deploy", "lunch", "weekend", "project", "issue",
]  # fmt: skip
SYLLABLES = [
    "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "be", "do", "fe", "gu", "ha", "ji", "ko", "lu", "ma", "no", "pe", "ri",
]  # fmt: skip
VOCABULARY_SIZE = 8000


def vocabulary_word(i: int) -> str:
    """Word number i of the bulk vocabulary (0 is the most frequent), spelt as _BODY_SQL spells it."""
    if i < len(COMMON_WORDS):
        return COMMON_WORDS[i]
    n = len(SYLLABLES)
    word = SYLLABLES[i % n] + SYLLABLES[(i // n) % n]
    return word + (SYLLABLES[(i // (n * n)) % n] if i >= n * n else "")


# The body of message g: 4 to 12 words (`g` is a bigint), each drawn by a hash of (g, k) so
# that neighbours in a message or in the room are unrelated. 40 is len(COMMON_WORDS), 20 is
# len(SYLLABLES) and 8000 VOCABULARY_SIZE: vocabulary_word spells the same words.
_BODY_SQL = """(
    SELECT string_agg(
        CASE WHEN i < 40 THEN (%(common)s::text[])[i + 1]
        ELSE (%(syllables)s::text[])[1 + i %% 20] || (%(syllables)s::text[])[1 + (i / 20) %% 20]
            || CASE WHEN i >= 400 THEN (%(syllables)s::text[])[1 + (i / 400) %% 20] ELSE '' END
        END, ' ' ORDER BY k)
    FROM (
        SELECT k, floor(exp((hashint8(g * 16 + k) & 2147483647)::float8 / 2147483648 * ln(8000)))::int - 1 AS i
        FROM generate_series(1, 4 + (g %% 9)::int) AS k
    ) AS words
)"""
_BODY_PARAMS: dict[str, Any] = {"common": COMMON_WORDS, "syllables": SYLLABLES}


def ensure_history(url: str, author_id: int, sizes: dict[str, int]) -> None:
    """Rooms holding exactly the given number of messages, inserted with generate_series."""
    with psycopg.connect(libpq(url)) as conn:
        changed = False
        row = conn.execute(f"SELECT {_BODY_SQL} FROM (SELECT 1::bigint AS g) AS one", _BODY_PARAMS).fetchone()  # type: ignore[arg-type]  # noqa: S608
        expected_first = row[0] if row else None
        for slug, size in sizes.items():
            conn.execute(
                "INSERT INTO rooms (slug, name, seq, created_at) VALUES (%s, %s, 0, now()) ON CONFLICT (slug) DO NOTHING",
                (slug, slug),
            )
            room_id, seq = conn.execute("SELECT id, seq FROM rooms WHERE slug = %s", (slug,)).fetchone() or (0, 0)
            count = conn.execute("SELECT count(*) FROM messages WHERE room_id = %s", (room_id,)).fetchone()
            first = conn.execute("SELECT body FROM messages WHERE room_id = %s AND seq = 1", (room_id,)).fetchone()
            # A room an older bench loaded with other bodies is loaded again.
            loaded = first is not None and first[0] == expected_first
            if seq == size and count is not None and count[0] == size and loaded:
                continue
            _reload_room(conn, room_id, author_id, size)
            changed = True
        changed = _ensure_newer_traffic(conn, author_id, list(sizes), max(sizes.values(), default=0) // 10) or changed
        conn.commit()
    if changed:
        settle(url)


def settle(url: str) -> None:
    """Vacuum and analyze after a bulk load, and flush it to disk, before anything is timed.

    Left to autovacuum, the clean-up of a million fresh rows runs during the next scenario:
    PostgreSQL is not pinned, so it takes a core from the measurement (a votes sweep right after
    loading the 1M room measured 400 votes/s, and 1,000 a minute later).
    """
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) messages")
        # A bench role that is not a superuser cannot checkpoint; the vacuum is what matters.
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute("CHECKPOINT")


def _ensure_newer_traffic(conn: psycopg.Connection[Any], author_id: int, rooms: list[str], size: int) -> bool:
    """`size` messages in JOIN_ELSEWHERE, all newer than the history of `rooms`; True if reloaded."""
    conn.execute(
        "INSERT INTO rooms (slug, name, seq, created_at) VALUES (%s, %s, 0, now()) ON CONFLICT (slug) DO NOTHING",
        (JOIN_ELSEWHERE, JOIN_ELSEWHERE),
    )
    room_id = _one(conn, "SELECT id FROM rooms WHERE slug = %s", (JOIN_ELSEWHERE,))
    newest = _one(
        conn,
        "SELECT coalesce(max(m.id), 0) FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.slug = ANY(%s)",
        (rooms,),
    )
    count, oldest = conn.execute(
        "SELECT count(*), coalesce(min(id), 0) FROM messages WHERE room_id = %s", (room_id,)
    ).fetchone() or (0, 0)
    if count == size and (size == 0 or oldest > newest):
        return False
    _reload_room(conn, room_id, author_id, size)
    return True


def _reload_room(conn: psycopg.Connection[Any], room_id: int, author_id: int, size: int) -> None:
    """Replace a room's messages with `size` vocabulary bodies (seq 1..size), one second apart."""
    conn.execute("DELETE FROM messages WHERE room_id = %s", (room_id,))
    conn.execute(
        f"""
        INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, client_id, seq)
        SELECT %(room)s, %(author)s, {_BODY_SQL}, now() - (%(size)s - g) * interval '1 second', 0, 0, NULL, g
        FROM generate_series(1::bigint, %(size)s) AS g
        """,  # noqa: S608 - constant SQL; the values are parameters
        {"room": room_id, "author": author_id, "size": size, **_BODY_PARAMS},
    )
    conn.execute("UPDATE rooms SET seq = %s WHERE id = %s", (size, room_id))


def search_matches(url: str, room: str, q: str) -> int:
    """How many messages of a room the server's search finds for `q`, over all pages."""
    from sqlalchemy import create_engine, text

    from chatroom.services.search import postgresql_query, query_words

    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            room_id = connection.execute(text("SELECT id FROM rooms WHERE slug = :slug"), {"slug": room}).scalar_one()
            # The server's own statement, every match of it.
            sql, params = postgresql_query(room_id, query_words(q), None, 2**62)
            return int(connection.execute(text(f"SELECT count(*) FROM ({sql}) AS hits"), params).scalar_one())  # noqa: S608
    finally:
        engine.dispose()


def ensure_top_votes(url: str, rooms: list[str]) -> None:
    """Vote totals on the join rooms' history for the Top scenario, with the rank the server writes.

    Every tenth message has upvotes (1-17) and some downvotes, every tenth another only
    downvotes, by a pattern that repeats every 170 messages: votes are spread evenly over the
    history, so every window (hour, day, week, all) has voted messages of its own. The totals
    are set directly, as the history is inserted directly; a Top page reads no vote rows
    except the reader's own.
    """
    from chatroom.ranking import wilson_lower_bound

    with psycopg.connect(libpq(url)) as conn:
        changed = False
        for slug in rooms:
            room_id = _one(conn, "SELECT id FROM rooms WHERE slug = %s", (slug,))
            size, voted = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE upvotes > 0 OR downvotes > 0) FROM messages "
                "WHERE room_id = %s",
                (room_id,),
            ).fetchone() or (0, 0)
            if voted == size // 10 + (size + 5) // 10:
                continue
            conn.execute(
                """
                UPDATE messages SET
                    upvotes = CASE WHEN seq %% 10 = 0 THEN 1 + seq * 31 %% 17 ELSE 0 END,
                    downvotes = CASE WHEN seq %% 10 = 0 THEN seq * 13 %% 7 WHEN seq %% 10 = 5 THEN 1 + seq %% 6 ELSE 0 END
                WHERE room_id = %s AND (seq %% 10 IN (0, 5) OR upvotes > 0 OR downvotes > 0)
                """,
                (room_id,),
            )
            pairs = conn.execute(
                "SELECT DISTINCT upvotes, downvotes FROM messages WHERE room_id = %s AND upvotes > 0", (room_id,)
            ).fetchall()
            conn.execute(
                "UPDATE messages SET wilson_lb = 0 WHERE room_id = %s AND upvotes = 0 AND wilson_lb <> 0", (room_id,)
            )
            conn.execute(
                """
                UPDATE messages SET wilson_lb = p.lb
                FROM (SELECT unnest(%s::int[]) AS up, unnest(%s::int[]) AS down, unnest(%s::float8[]) AS lb) AS p
                WHERE room_id = %s AND upvotes = p.up AND downvotes = p.down
                """,
                (
                    [int(up) for up, _ in pairs],
                    [int(down) for _, down in pairs],
                    [wilson_lower_bound(int(up), int(down)) for up, down in pairs],
                    room_id,
                ),
            )
            changed = True
        conn.commit()
    if changed:
        settle(url)


def _one(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...]) -> int:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def ensure_seed_history(url: str, sizes: dict[str, int]) -> None:
    """The same history for the seed baseline's own table."""
    from sqlalchemy import create_engine

    from bench.baselines.seed_naive import Base

    engine = create_engine(sqlalchemy_url(url))
    Base.metadata.create_all(engine)
    engine.dispose()
    with psycopg.connect(libpq(url)) as conn:
        for slug, size in sizes.items():
            count = conn.execute("SELECT count(*) FROM seed_messages WHERE room = %s", (slug,)).fetchone()
            if count is not None and count[0] == size:
                continue
            conn.execute("DELETE FROM seed_messages WHERE room = %s", (slug,))
            conn.execute(
                """
                INSERT INTO seed_messages (room, username, body, created_at, upvotes, downvotes)
                SELECT %s, 'seed', 'history message number ' || g, now(), 0, 0 FROM generate_series(1, %s) AS g
                """,
                (slug, size),
            )
        conn.commit()
        conn.execute("ANALYZE seed_messages")


def clear_seed_rooms(url: str, rooms: list[str]) -> None:
    """Empty the seed's live rooms: its fetch-all join would replay earlier scenarios' messages."""
    with psycopg.connect(libpq(url)) as conn:
        conn.execute("DELETE FROM seed_messages WHERE room = ANY(%s)", (rooms,))
        conn.commit()


def new_vote_target(url: str, author_id: int, seed: bool = False) -> int:
    """A fresh message with no votes in the votes room; its id."""
    with psycopg.connect(libpq(url)) as conn:
        if seed:
            row = conn.execute(
                "INSERT INTO seed_messages (room, username, body, created_at, upvotes, downvotes) "
                "VALUES (%s, 'seed', 'vote on me', now(), 0, 0) RETURNING id",
                (VOTES_ROOM,),
            ).fetchone()
        else:
            row = conn.execute(
                """
                WITH bumped AS (UPDATE rooms SET seq = seq + 1 WHERE slug = %s RETURNING id, seq)
                INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq)
                SELECT id, %s, 'vote on me', now(), 0, 0, seq FROM bumped RETURNING id
                """,
                (VOTES_ROOM, author_id),
            ).fetchone()
        conn.commit()
    assert row is not None
    return int(row[0])


def vote_totals(url: str, message_id: int, seed: bool = False) -> dict[str, int]:
    """The stored totals of a message and, for the product, the number of vote rows."""
    with psycopg.connect(libpq(url)) as conn:
        if seed:
            row = conn.execute("SELECT upvotes, 0 FROM seed_messages WHERE id = %s", (message_id,)).fetchone()
            rows = None
        else:
            row = conn.execute("SELECT upvotes, downvotes FROM messages WHERE id = %s", (message_id,)).fetchone()
            rows = conn.execute(
                "SELECT count(*) FILTER (WHERE value = 1), count(*) FILTER (WHERE value = -1) FROM votes "
                "WHERE message_id = %s",
                (message_id,),
            ).fetchone()
    assert row is not None
    totals = {"upvotes": int(row[0]), "downvotes": int(row[1])}
    if rows is not None:
        totals |= {"vote_rows_up": int(rows[0]), "vote_rows_down": int(rows[1])}
    return totals


def message_count(url: str, room: str, seed: bool = False) -> int:
    with psycopg.connect(libpq(url)) as conn:
        if seed:
            row = conn.execute("SELECT count(*) FROM seed_messages WHERE room = %s", (room,)).fetchone()
        else:
            row = conn.execute(
                "SELECT count(*) FROM messages JOIN rooms ON rooms.id = messages.room_id WHERE rooms.slug = %s",
                (room,),
            ).fetchone()
    return int(row[0]) if row else 0
