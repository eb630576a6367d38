"""Rooms people create: a topic, a creation time, and memberships with a read position.

Every existing user becomes a member of `general`, with everything up to now read (a new
member starts with nothing unread, and an upgrade should not flood anyone with old messages).

As in 0002, no table is rebuilt: SQLite adds `created_at` NOT NULL with a constant default and
the rows then get the upgrade's time; PostgreSQL adds it, fills it in and sets NOT NULL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    op.add_column("rooms", sa.Column("topic", sa.String(200), nullable=False, server_default=""))
    if sqlite:
        op.add_column(
            "rooms",
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default="1970-01-01 00:00:00"),
        )
    else:
        op.add_column("rooms", sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    rooms = sa.table(
        "rooms",
        sa.column("id", BigId),
        sa.column("slug", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    connection.execute(sa.update(rooms).values(created_at=datetime.now(UTC)))
    if not sqlite:
        op.alter_column("rooms", "created_at", existing_type=sa.DateTime(timezone=True), nullable=False)

    op.create_table(
        "room_members",
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("room_id", BigId, nullable=False),
        sa.Column("last_read_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_room_members_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name="fk_room_members_room_id_rooms", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "room_id", name="pk_room_members"),
    )
    op.create_index("ix_room_members_room_id", "room_members", ["room_id"])

    general = connection.execute(sa.select(rooms.c.id).where(rooms.c.slug == "general")).scalar()
    if general is not None:
        connection.execute(
            sa.text(
                "INSERT INTO room_members (user_id, room_id, last_read_id, joined_at) "
                "SELECT users.id, :room, (SELECT coalesce(max(id), 0) FROM messages WHERE room_id = :room), :now "
                "FROM users"
            ),
            {"room": general, "now": datetime.now(UTC)},
        )


def downgrade() -> None:
    op.drop_index("ix_room_members_room_id", table_name="room_members")
    op.drop_table("room_members")
    op.execute("ALTER TABLE rooms DROP COLUMN created_at")
    op.execute("ALTER TABLE rooms DROP COLUMN topic")
