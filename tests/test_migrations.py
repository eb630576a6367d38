"""The migrations, the models and make_table.sql describe one schema."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from chatroom.extensions import db
from chatroom.migrate import downgrade, upgrade
from chatroom.models import Base, described_by_models
from chatroom.passwords import hash_password
from chatroom.ranking import wilson_lower_bound
from chatroom.services import accounts
from tests.conftest import PASSWORD
from tests.support import services

ROOT = Path(__file__).resolve().parents[1]


def test_migrations_match_the_models(any_db_url: str) -> None:
    engine = create_engine(any_db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": described_by_models})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_general_room_exists_after_migration(any_db_url: str) -> None:
    engine = create_engine(any_db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name, seq FROM rooms WHERE slug = 'general'")).one() == ("General", 0)
    engine.dispose()


def test_downgrade_and_upgrade_again(any_db_url: str) -> None:
    downgrade(any_db_url, "base")
    upgrade(any_db_url)
    engine = create_engine(any_db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM rooms")).scalar_one() == 1
    engine.dispose()


def _schema(url: str) -> str:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is needed to compare schemas (apt-get install postgresql-client)")
    dump = subprocess.run(
        [pg_dump, "--schema-only", "--no-owner", "--no-privileges", url.replace("+psycopg", "")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [line for line in dump.splitlines() if line and not line.startswith(("--", "\\restrict", "\\unrestrict"))]
    return "\n".join(lines)


@pytest.mark.postgres
def test_make_table_sql_gives_the_migrated_schema_and_sample_data(pg_server: str, tmp_path: Path) -> None:
    migrated = services.create_database(pg_server)
    from_sql = services.create_database(pg_server)
    try:
        upgrade(migrated)
        with psycopg.connect(from_sql.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute((ROOT / "make_table.sql").read_text())  # type: ignore[arg-type]
        assert _schema(from_sql) == _schema(migrated)

        # make_table.py on the migrated database must produce the same sample rows.
        subprocess.run(
            ["python", str(ROOT / "make_table.py")],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env={
                "PATH": str(Path(__import__("sys").executable).parent),
                "DATABASE_URL": migrated,
                "CHATROOM_INSTANCE_PATH": str(tmp_path),
            },
        )
        query = (
            "SELECT u.username, m.body, m.upvotes, m.downvotes, m.seq, m.client_id, m.wilson_lb FROM messages m "
            "JOIN users u ON u.id = m.author_id ORDER BY m.id"
        )
        rows = []
        for url in (migrated, from_sql):
            with psycopg.connect(url.replace("+psycopg", "")) as conn:
                rows.append(
                    (
                        conn.execute(query).fetchall(),  # type: ignore[arg-type]
                        conn.execute("SELECT slug, seq FROM rooms").fetchall(),
                        conn.execute("SELECT user_id, message_id, value FROM votes ORDER BY 1, 2").fetchall(),
                    )
                )
        assert rows[0] == rows[1]
        # The sample password in the SQL file's hashes really is the documented one.
        from chatroom.passwords import verify_password

        sql_hashes = re.findall(r"'(\$argon2id\$[^']+)'", (ROOT / "make_table.sql").read_text())
        assert len(sql_hashes) == 3
        assert all(verify_password(h, "chatroom sample password") for h in sql_hashes)
    finally:
        services.drop_database(pg_server, migrated)
        services.drop_database(pg_server, from_sql)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = request.getfixturevalue("pg_server")
    url = services.create_database(server)
    yield url
    services.drop_database(server, url)


def test_folded_emails_are_filled_in_for_existing_accounts(empty_db_url: str) -> None:
    """Accounts made before emails were stored folded get their folded form; on a clash the
    account whose email is already folded keeps it, the others are set aside (documented)."""
    upgrade(empty_db_url, "0001")
    engine = create_engine(empty_db_url)
    people = [
        ("Élodie@example.com", "elodie"),
        ("Bob@example.com", "bob"),
        # Different to lower() on both databases, the same address after NFKC: both could be
        # registered. The later one is already in folded form, so it keeps the address.
        ("ｃarol@example.com", "carol_wide"),  # noqa: RUF001 - a fullwidth letter
        ("carol@example.com", "carol"),
    ]
    with engine.begin() as connection:
        for email, username in people:
            connection.execute(
                text(
                    "INSERT INTO users (email, username, password_hash, created_at) "
                    "VALUES (:email, :username, 'hash', CURRENT_TIMESTAMP)"
                ),
                {"email": email, "username": username},
            )
        ids = dict(connection.execute(text("SELECT username, id FROM users")).all())
        # Data hanging off the accounts, which a rebuilt users table would cascade away.
        connection.execute(
            text(
                "INSERT INTO auth_sessions (token_hash, user_id, created_at, last_seen_at) "
                "VALUES ('t1', :bob, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"bob": ids["bob"]},
        )
        connection.execute(
            text(
                "INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq) "
                "SELECT id, :bob, 'kept', CURRENT_TIMESTAMP, 1, 0, 1 FROM rooms WHERE slug = 'general'"
            ),
            {"bob": ids["bob"]},
        )
        connection.execute(
            text(
                "INSERT INTO votes (user_id, message_id, value, created_at) SELECT :elodie, id, 1, CURRENT_TIMESTAMP FROM messages"
            ),
            {"elodie": ids["elodie"]},
        )
    upgrade(empty_db_url)
    with engine.connect() as connection:
        counts = [
            connection.execute(text("SELECT count(*) FROM auth_sessions")).scalar_one(),
            connection.execute(text("SELECT count(*) FROM messages")).scalar_one(),
            connection.execute(text("SELECT count(*) FROM votes")).scalar_one(),
        ]
    assert counts == [1, 1, 1]
    with pytest.raises(IntegrityError), engine.begin() as connection:
        # Usernames are still unique ignoring case after the migration.
        connection.execute(
            text(
                "INSERT INTO users (email, email_folded, username, password_hash, created_at) "
                "VALUES ('b2@example.com', 'b2@example.com', 'BOB', 'hash', CURRENT_TIMESTAMP)"
            )
        )
    with engine.connect() as connection:
        folded = dict(connection.execute(text("SELECT username, email_folded FROM users")).all())
        emails = dict(connection.execute(text("SELECT username, email FROM users")).all())
    engine.dispose()
    assert folded == {
        "elodie": "élodie@example.com",
        "bob": "bob@example.com",
        "carol": "carol@example.com",
        "carol_wide": f"duplicate {ids['carol_wide']} carol@example.com",
    }
    assert emails == dict((username, email) for email, username in people)  # shown as before


def test_migrated_accounts_log_in_by_any_spelling(empty_db_url: str, make_app: Callable[..., Flask]) -> None:
    upgrade(empty_db_url, "0001")
    engine = create_engine(empty_db_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email, username, password_hash, created_at) "
                "VALUES ('Ünal@example.com', 'unal', :hash, CURRENT_TIMESTAMP)"
            ),
            {"hash": hash_password(PASSWORD)},
        )
    engine.dispose()
    upgrade(empty_db_url)
    make_app(empty_db_url)
    with db.session() as s:
        assert accounts.authenticate(s, "ünal@EXAMPLE.com", PASSWORD).username == "unal"


def test_existing_users_become_members_of_general_with_nothing_unread(empty_db_url: str) -> None:
    """Upgrading today's schema with data: every user joins `general`, rooms get a creation time."""
    upgrade(empty_db_url, "0002")
    engine = create_engine(empty_db_url)
    with engine.begin() as connection:
        for name in ("ann", "ben"):
            connection.execute(
                text(
                    "INSERT INTO users (email, email_folded, username, password_hash, created_at) "
                    "VALUES (:email, :email, :name, 'hash', CURRENT_TIMESTAMP)"
                ),
                {"email": f"{name}@example.com", "name": name},
            )
        ids = dict(connection.execute(text("SELECT username, id FROM users")).all())
        connection.execute(
            text(
                "INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq) "
                "SELECT id, :ann, 'before the upgrade', CURRENT_TIMESTAMP, 0, 0, 1 FROM rooms WHERE slug = 'general'"
            ),
            {"ann": ids["ann"]},
        )
        latest = connection.execute(text("SELECT max(id) FROM messages")).scalar_one()
    upgrade(empty_db_url)
    with engine.connect() as connection:
        members = connection.execute(
            text(
                "SELECT u.username, m.last_read_id FROM room_members m JOIN users u ON u.id = m.user_id "
                "JOIN rooms r ON r.id = m.room_id WHERE r.slug = 'general' ORDER BY u.username"
            )
        ).all()
        room = connection.execute(text("SELECT topic, created_at FROM rooms WHERE slug = 'general'")).one()
        assert connection.execute(text("SELECT count(*) FROM messages")).scalar_one() == 1
    engine.dispose()
    assert [tuple(row) for row in members] == [("ann", latest), ("ben", latest)]
    assert room[0] == ""
    assert room[1] is not None
    downgrade(empty_db_url, "0002")
    upgrade(empty_db_url)


def test_api_tokens_arrive_on_a_database_with_data_and_go_again(
    empty_db_url: str, make_app: Callable[..., Flask]
) -> None:
    """Upgrading a database with accounts: they keep logging in and can hold tokens at once."""
    upgrade(empty_db_url, "0003")
    engine = create_engine(empty_db_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email, email_folded, username, password_hash, created_at) "
                "VALUES ('tess@example.com', 'tess@example.com', 'tess', :hash, CURRENT_TIMESTAMP)"
            ),
            {"hash": hash_password(PASSWORD)},
        )
    upgrade(empty_db_url)
    make_app(empty_db_url)
    from chatroom.services import tokens

    with db.session() as s:
        user = accounts.authenticate(s, "tess@example.com", PASSWORD)
        _token, secret = tokens.create_token(s, user.id, "after the upgrade")
        found = tokens.authenticate_token(s, secret)
    assert found is not None and found.username == "tess"
    db.dispose()
    downgrade(empty_db_url, "0003")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 1
    upgrade(empty_db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM api_tokens")).scalar_one() == 0


def test_existing_messages_get_their_top_rank(empty_db_url: str) -> None:
    """Upgrading with data: every message's rank is the formula of its totals, 0 exactly without upvotes."""
    upgrade(empty_db_url, "0003")
    engine = create_engine(empty_db_url)
    totals = [(0, 0), (1, 0), (100, 10), (0, 7), (3, 3), (3, 3), (2, 0)]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email, email_folded, username, password_hash, created_at) "
                "VALUES ('ann@example.com', 'ann@example.com', 'ann', 'hash', CURRENT_TIMESTAMP)"
            )
        )
        for seq, (up, down) in enumerate(totals, start=1):
            connection.execute(
                text(
                    "INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq) "
                    "SELECT r.id, u.id, 'before the upgrade', CURRENT_TIMESTAMP, :up, :down, :seq "
                    "FROM rooms r, users u WHERE r.slug = 'general'"
                ),
                {"up": up, "down": down, "seq": seq},
            )
    upgrade(empty_db_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT upvotes, downvotes, wilson_lb FROM messages ORDER BY id")).all()
    assert [(up, down) for up, down, _ in rows] == totals
    assert [rank for _, _, rank in rows] == [wilson_lower_bound(up, down) for up, down in totals]
    assert [rank for up, _, rank in rows if up == 0] == [0.0, 0.0]
    # The ranking the Top view serves from the new index.
    with engine.connect() as connection:
        order = connection.execute(
            text("SELECT upvotes, downvotes FROM messages ORDER BY room_id, wilson_lb DESC, id")
        ).all()
    assert [tuple(row) for row in order] == [(100, 10), (2, 0), (1, 0), (3, 3), (3, 3), (0, 0), (0, 7)]
    downgrade(empty_db_url, "0003")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM messages")).scalar_one() == len(totals)
    upgrade(empty_db_url)
    engine.dispose()


def test_existing_accounts_become_members_and_the_oldest_the_admin(empty_db_url: str) -> None:
    """Upgrading today's schema with data: roles, and messages that are neither edited nor deleted."""
    upgrade(empty_db_url, "0003")
    engine = create_engine(empty_db_url)
    with engine.begin() as connection:
        # Inserted in an order other than their age, so the oldest is not the lowest id.
        for name, created in (
            ("newer", "2026-06-01 10:00:00"),
            ("oldest", "2025-01-01 10:00:00"),
            ("newest", "2026-11-01 10:00:00"),
        ):
            connection.execute(
                text(
                    "INSERT INTO users (email, email_folded, username, password_hash, created_at) "
                    "VALUES (:email, :email, :name, 'hash', :created)"
                ),
                {"email": f"{name}@example.com", "name": name, "created": created},
            )
        ids = dict(connection.execute(text("SELECT username, id FROM users")).all())
        connection.execute(
            text(
                "INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq) "
                "SELECT id, :author, 'before the upgrade', CURRENT_TIMESTAMP, 1, 0, 1 FROM rooms WHERE slug = 'general'"
            ),
            {"author": ids["newer"]},
        )
    upgrade(empty_db_url)
    with engine.connect() as connection:
        roles = dict(connection.execute(text("SELECT username, role FROM users")).all())
        message = connection.execute(text("SELECT body, upvotes, edited_at, deleted FROM messages")).one()
        tables = [
            connection.execute(text("SELECT count(*) FROM message_versions")).scalar_one(),
            connection.execute(text("SELECT count(*) FROM mutes")).scalar_one(),
            connection.execute(text("SELECT count(*) FROM moderation_log")).scalar_one(),
        ]
    engine.dispose()
    assert roles == {"newer": "member", "oldest": "admin", "newest": "member"}
    assert (message[0], message[1], message[2], bool(message[3])) == ("before the upgrade", 1, None, False)
    assert tables == [0, 0, 0]
    downgrade(empty_db_url, "0003")
    upgrade(empty_db_url)


def test_existing_messages_become_searchable_and_stay_in_step(
    empty_db_url: str, make_app: Callable[..., Flask]
) -> None:
    """Upgrading with data fills the index (generated column or FTS5 backfill); later inserts,
    edits and deletes of rows reach it (column or triggers); downgrading removes it all."""
    upgrade(empty_db_url, "0006")
    engine = create_engine(empty_db_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email, email_folded, username, password_hash, created_at) "
                "VALUES ('ann@example.com', 'ann@example.com', 'ann', 'hash', CURRENT_TIMESTAMP)"
            )
        )
        for seq, body in enumerate(["Un café noir", "rain again", "a deleted café"], start=1):
            connection.execute(
                text(
                    "INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq, deleted) "
                    "SELECT r.id, u.id, :body, CURRENT_TIMESTAMP, 0, 0, :seq, :deleted FROM rooms r, users u"
                ),
                {"body": body, "seq": seq, "deleted": seq == 3},
            )
    upgrade(empty_db_url)
    make_app(empty_db_url)
    from chatroom.services import search

    def found(q: str) -> list[str]:
        with db.session() as s:
            reader = s.scalars(text("SELECT id FROM users")).one()
            return [m["body"] for m in search.search_messages(s, reader, "general", q).messages]

    assert found("cafe") == ["Un café noir"]
    with engine.begin() as connection:
        connection.execute(text("UPDATE messages SET body = 'sunny at last' WHERE body = 'rain again'"))
        connection.execute(
            text(
                "INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq) "
                "SELECT r.id, u.id, 'Café crème', CURRENT_TIMESTAMP, 0, 0, 4 FROM rooms r, users u"
            )
        )
        connection.execute(text("DELETE FROM messages WHERE body = 'Un café noir'"))
    assert (found("cafe"), found("rain"), found("sunny")) == (["Café crème"], [], ["sunny at last"])
    db.dispose()
    downgrade(empty_db_url, "0006")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM messages")).scalar_one() == 3
        if connection.dialect.name == "sqlite":
            names = connection.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'messages_fts%'")).all()
        else:
            names = connection.execute(
                text(
                    "SELECT column_name FROM information_schema.columns WHERE column_name = 'search_vector' "
                    "UNION ALL SELECT proname FROM pg_proc WHERE proname = 'chatroom_search_text' "
                    "UNION ALL SELECT extname FROM pg_extension WHERE extname = 'unaccent'"
                )
            ).all()
        assert names == []
    # Rows are still writable without the triggers.
    with engine.begin() as connection:
        connection.execute(text("UPDATE messages SET body = 'after the downgrade'"))
    upgrade(empty_db_url)
    make_app(empty_db_url)
    assert found("after") == ["after the downgrade"] * 2  # the third is the deleted one
    db.dispose()


def test_existing_messages_mention_nobody_and_new_ones_are_indexed(
    empty_db_url: str, make_app: Callable[..., Flask]
) -> None:
    """Upgrading with data: old bodies are not parsed again; messages sent afterwards mention."""
    upgrade(empty_db_url, "0006")
    engine = create_engine(empty_db_url)
    with engine.begin() as connection:
        for name in ("ann", "bob"):
            connection.execute(
                text(
                    "INSERT INTO users (email, email_folded, username, password_hash, created_at) "
                    "VALUES (:email, :email, :name, 'hash', CURRENT_TIMESTAMP)"
                ),
                {"email": f"{name}@example.com", "name": name},
            )
        connection.execute(
            text(
                "INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq) "
                "SELECT r.id, u.id, '@bob from before', CURRENT_TIMESTAMP, 0, 0, 1 "
                "FROM rooms r, users u WHERE r.slug = 'general' AND u.username = 'ann'"
            )
        )
    upgrade(empty_db_url)
    make_app(empty_db_url)
    from chatroom.models import User
    from chatroom.services import messages as message_service
    from chatroom.services.writer import GroupWriter

    with engine.connect() as connection:
        assert connection.execute(text("SELECT mentions FROM messages")).scalar_one() in ([], "[]")
    writer = GroupWriter(synchronous=True)
    with db.session() as s:
        author = accounts.start_session(s, s.scalars(select(User).where(User.username == "ann")).one())
    sent = message_service.send_message(writer, author, "general", "@bob after", None).message
    assert sent["mentions"] == ["bob"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM message_mentions")).scalar_one() == 1
    db.dispose()
    downgrade(empty_db_url, "0006")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM messages")).scalar_one() == 2
    upgrade(empty_db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM message_mentions")).scalar_one() == 0
    engine.dispose()
