"""The Top view: each message's Wilson lower bound, and the indexes that page through it.

`messages.wilson_lb` holds the rank of docs/protocol.md (`get_top`), kept current by the
transaction that changes a message's totals. Existing rows are filled in here: every message
without an upvote keeps the column default 0 exactly, and the others are updated once per
distinct (upvotes, downvotes) pair is computed once, and one UPDATE looks each voted row's
bound up by its totals. The formula is copied below rather than imported, so
this revision keeps computing what it computed when it was written.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_Z = 1.959963984540054


def _wilson_lower_bound(upvotes: int, downvotes: int) -> float:
    if upvotes <= 0:
        return 0.0
    n = upvotes + downvotes
    p = upvotes / n
    z2 = _Z * _Z
    return (p + z2 / (2 * n) - _Z * math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)) / (1 + z2 / n)


def upgrade() -> None:
    op.add_column("messages", sa.Column("wilson_lb", sa.Float(), nullable=False, server_default="0"))
    connection = op.get_bind()
    pairs = connection.execute(
        sa.text("SELECT DISTINCT upvotes, downvotes FROM messages WHERE upvotes > 0 ORDER BY upvotes, downvotes")
    ).all()
    if pairs:
        # One pass over the voted rows, each looking its bound up by its totals.
        connection.execute(
            sa.text(
                "CREATE TEMPORARY TABLE wilson_pairs "
                "(up integer NOT NULL, down integer NOT NULL, lb double precision NOT NULL, PRIMARY KEY (up, down))"
            )
        )
        connection.execute(
            sa.text("INSERT INTO wilson_pairs (up, down, lb) VALUES (:up, :down, :lb)"),
            [{"up": up, "down": down, "lb": _wilson_lower_bound(int(up), int(down))} for up, down in pairs],
        )
        connection.execute(
            sa.text(
                "UPDATE messages SET wilson_lb = (SELECT lb FROM wilson_pairs "
                "WHERE wilson_pairs.up = messages.upvotes AND wilson_pairs.down = messages.downvotes) "
                "WHERE upvotes > 0"
            )
        )
        connection.execute(sa.text("DROP TABLE wilson_pairs"))
    op.create_index(
        "ix_messages_room_id_wilson_lb_id", "messages", ["room_id", sa.text("wilson_lb DESC"), "id"], unique=False
    )
    op.create_index("ix_messages_room_id_created_at_id", "messages", ["room_id", "created_at", "id"], unique=False)
    op.create_index(
        "ix_messages_room_id_created_at_voted",
        "messages",
        ["room_id", "created_at"],
        unique=False,
        postgresql_where=sa.text("wilson_lb > 0"),
        sqlite_where=sa.text("wilson_lb > 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_room_id_created_at_voted", table_name="messages")
    op.drop_index("ix_messages_room_id_created_at_id", table_name="messages")
    op.drop_index("ix_messages_room_id_wilson_lb_id", table_name="messages")
    op.execute("ALTER TABLE messages DROP COLUMN wilson_lb")
