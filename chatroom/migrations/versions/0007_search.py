"""Full-text search over message bodies (services/search.py), one engine per database.

PostgreSQL: `messages.search_vector`, a stored generated `tsvector` ('simple' configuration,
no stemming) of the body with accents folded by `unaccent` and ASCII punctuation turned into
spaces, and a GIN index on it. `unaccent(text)` is only STABLE (it looks its dictionary up
through the search path), so the column calls `chatroom_search_text`, an IMMUTABLE SQL function
that names the dictionary and its schema explicitly. Punctuation becomes spaces so that the
parser sees the same words as SQLite and the application do: left alone it would keep
`example.com`, `a@b.org` or `3.14` as single lexemes. Adding the column fills it for every
existing row (the table is rewritten once).

SQLite: `messages_fts`, an FTS5 table over `messages.body` with external content (the body is
stored once, in `messages`), `unicode61 remove_diacritics 2`, filled here from the existing
rows and kept in step by three triggers (insert, update of body, delete). A later revision
that rebuilds `messages` in SQLite batch mode drops these triggers and must create them again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# ASCII punctuation, each character replaced by a space (translate() pairs them by position).
_PUNCTUATION = "!\"#$%&''()*+,-./:;<=>?@[\\]^_`{|}~"
_SPACES = " " * 32


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_messages_search_vector")
        op.execute("ALTER TABLE messages DROP COLUMN search_vector")
        op.execute("DROP FUNCTION chatroom_search_text(text)")
        # Only this schema uses it; a database where something else does keeps it (no CASCADE).
        op.execute("DROP EXTENSION IF EXISTS unaccent")
    else:
        for trigger in ("messages_fts_insert", "messages_fts_update", "messages_fts_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE messages_fts")


def _upgrade_postgresql() -> None:
    connection = op.get_bind()
    # unaccent is a trusted extension (PostgreSQL 13+): the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema = connection.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'unaccent'"
        )
    ).scalar_one()
    # The two-argument form with a schema-qualified dictionary does not depend on the search
    # path, which is what makes declaring the wrapper IMMUTABLE sound.
    connection.execute(
        sa.text(
            "CREATE FUNCTION chatroom_search_text(body text) RETURNS text "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
            f"$$SELECT translate({schema}.unaccent('{schema}.unaccent'::regdictionary, body), "
            f"'{_PUNCTUATION}', '{_SPACES}')$$"
        )
    )
    op.execute(
        "ALTER TABLE messages ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, chatroom_search_text(body))) STORED"
    )
    op.execute("CREATE INDEX ix_messages_search_vector ON messages USING gin (search_vector)")


def _upgrade_sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
    op.execute(
        "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
        "INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END"
    )
    # An external-content FTS5 table forgets a row by being told the values it indexed.
    op.execute(
        "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); "
        "INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END"
    )
    op.execute(
        "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); END"
    )
