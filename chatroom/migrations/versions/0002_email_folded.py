"""Users: compare emails by a stored NFKC case-folded form, unique on every database.

Existing accounts get the folded form of their stored email. When two accounts fold to the
same value (possible before: SQLite's lower() folds ASCII only, and neither database applied
NFKC), the one whose stored email is already in folded form keeps the address, because it is
the one that could log in on every database; otherwise the oldest does. The others keep their
messages and votes but get a folded value that no address can produce (`duplicate <id>
<folded>`: a validated address has no spaces), so they cannot log in until an operator sets
a new email for them (docs/operations.md).

No table is rebuilt: on SQLite a rebuild drops `users`, which with foreign keys on would
cascade to every session, message and vote. SQLite adds the column NOT NULL with an empty
default instead (the application always sets it); PostgreSQL adds it and then sets NOT NULL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _fold(email: str) -> str:
    # The same fold as chatroom.services.accounts.fold_email, applied to the stored (already
    # validated and normalised) address. Kept here so this revision never changes meaning.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold())


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.add_column("users", sa.Column("email_folded", sa.String(320), nullable=False, server_default=""))
    else:
        op.add_column("users", sa.Column("email_folded", sa.String(320), nullable=True))
    users = sa.table(
        "users", sa.column("id", sa.BigInteger), sa.column("email", sa.String), sa.column("email_folded", sa.String)
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.email).order_by(users.c.id)).all()
    by_folded: dict[str, list[tuple[int, str]]] = {}
    for user_id, email in rows:
        by_folded.setdefault(_fold(email), []).append((user_id, email))
    for folded, owners in by_folded.items():
        owners.sort(key=lambda owner: (owner[1] != folded, owner[0]))
        for rank, (user_id, _email) in enumerate(owners):
            value = folded if rank == 0 else f"duplicate {user_id} {folded}"[:320]
            connection.execute(sa.update(users).where(users.c.id == user_id).values(email_folded=value))
    if not sqlite:
        op.alter_column("users", "email_folded", existing_type=sa.String(320), nullable=False)
    op.create_index("uq_users_email_folded", "users", ["email_folded"], unique=True)
    op.drop_index("uq_users_email_lower", table_name="users")


def downgrade() -> None:
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.drop_index("uq_users_email_folded", table_name="users")
    # SQLite (3.35 and later) drops a column in place, without rebuilding the table.
    op.execute("ALTER TABLE users DROP COLUMN email_folded")
