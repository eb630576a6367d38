"""Initial schema: users, sessions, rooms with their timeline counter, messages, votes.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)

    op.create_table(
        "auth_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_auth_sessions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_auth_sessions_user_id_users", ondelete="CASCADE"),
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])

    rooms = op.create_table(
        "rooms",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rooms"),
        sa.UniqueConstraint("slug", name="uq_rooms_slug"),
    )

    op.create_table(
        "messages",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("room_id", BigId, nullable=False),
        sa.Column("author_id", BigId, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("upvotes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("downvotes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name="fk_messages_room_id_rooms", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name="fk_messages_author_id_users", ondelete="CASCADE"),
        sa.UniqueConstraint("author_id", "client_id", name="uq_messages_author_id_client_id"),
    )
    op.create_index("ix_messages_room_id_id", "messages", ["room_id", "id"])
    op.create_index("ix_messages_room_id_seq", "messages", ["room_id", "seq"])

    op.create_table(
        "votes",
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("message_id", BigId, nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "message_id", name="pk_votes"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_votes_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_votes_message_id_messages", ondelete="CASCADE"
        ),
        sa.CheckConstraint("value IN (1, -1)", name=op.f("ck_votes_value_is_one_or_minus_one")),
    )
    op.create_index("ix_votes_message_id", "votes", ["message_id"])

    # The room every client opens; it always exists.
    op.bulk_insert(rooms, [{"slug": "general", "name": "General", "seq": 0}])


def downgrade() -> None:
    op.drop_table("votes")
    op.drop_table("messages")
    op.drop_table("rooms")
    op.drop_table("auth_sessions")
    op.drop_table("users")
