"""The migrations, the models and make_table.sql describe one schema."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from chatroom.migrate import downgrade, upgrade
from chatroom.models import Base
from tests.support import services

ROOT = Path(__file__).resolve().parents[1]


def test_migrations_match_the_models(any_db_url: str) -> None:
    engine = create_engine(any_db_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
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
            "SELECT u.username, m.body, m.upvotes, m.downvotes, m.seq, m.client_id FROM messages m "
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
