"""Typed tables. Every schema change here ships with an Alembic revision."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    # The email as compared: NFKC and case-folded by the application, so that every database
    # (SQLite's lower() folds ASCII only) agrees on which addresses are the same.
    email_folded: Mapped[str] = mapped_column(String(320))
    username: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # member, moderator or admin (chatroom.services.roles); the first account is the admin.
    role: Mapped[str] = mapped_column(String(16), default="member", server_default="member")

    __table_args__ = (
        # Uniqueness lives in the database, so two racing sign-ups cannot both win.
        Index("uq_users_email_folded", email_folded, unique=True),
        Index("uq_users_username_lower", func.lower(username), unique=True),
    )


class AuthSession(Base):
    """A log-in. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A personal API token: a script acts as its owner. Only the secret's SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Refreshed at most once a minute, so that using a token is not a write per request.
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Revoked tokens are kept (not deleted) so that a revocation is an auditable fact.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # The room timeline's counter: the last sequence number handed out. Bumping it takes the
    # row lock, which orders every change of the room in commit order with no gaps.
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    topic: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RoomMember(Base):
    """A person's membership of a room, and how far they have read it."""

    __tablename__ = "room_members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True, index=True)
    # The highest message id the member has read; unread counts the others' messages above it.
    last_read_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    upvotes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    downvotes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Room sequence number of this message's latest change (creation, vote total, edit, delete).
    seq: Mapped[int] = mapped_column(BigInteger)
    # The Top rank: chatroom.ranking.wilson_lower_bound(upvotes, downvotes), written in the
    # same transaction as the totals.
    wilson_lb: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    # When the body was last edited (null when never); earlier bodies are in message_versions.
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A deleted message keeps its body and votes here; clients get a tombstone (wire.message_dict).
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The people the body names with @username, spelled as registered, in order of first
    # appearance (services.mentions), resolved when the body was written. Kept here, not
    # joined, so every M is built from the row alone; message_mentions indexes it per person.
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")

    author: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("author_id", "client_id"),
        # History pages: the latest N of a room before an id.
        Index("ix_messages_room_id_id", "room_id", "id"),
        # Catch-up after a reconnect: what changed in a room after a seq.
        Index("ix_messages_room_id_seq", "room_id", "seq"),
        # Top windows: where a room's last hour, day or week begins.
        Index("ix_messages_room_id_created_at_id", "room_id", "created_at", "id"),
    )


# Top pages: a room's messages in rank order (bound highest first, then id lowest first).
Index("ix_messages_room_id_wilson_lb_id", Message.room_id, Message.wilson_lb.desc(), Message.id)
# Top windows whose best messages are older than the window: the window's voted messages.
Index(
    "ix_messages_room_id_created_at_voted",
    Message.room_id,
    Message.created_at,
    postgresql_where=Message.wilson_lb > 0,
    sqlite_where=Message.wilson_lb > 0,
)


# Full-text search (migration 0007, services/search.py) is database-specific and lives outside
# these models: on PostgreSQL a generated tsvector column of messages and its GIN index, on
# SQLite an FTS5 table (with its shadow tables) and triggers. The ORM never reads them.
SEARCH_COLUMNS = frozenset({"search_vector"})
SEARCH_INDEXES = frozenset({"ix_messages_search_vector"})
SEARCH_TABLE = "messages_fts"


def described_by_models(name: str | None, type_: str, _parent_names: object = None) -> bool:
    """Whether a schema object is one the models describe (Alembic's `include_name` hook)."""
    if type_ == "table" and name is not None:
        return name != SEARCH_TABLE and not name.startswith(f"{SEARCH_TABLE}_")
    if type_ == "column":
        return name not in SEARCH_COLUMNS
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True


class MessageMention(Base):
    """A person other than the author named in a message's current body. Rows follow the body:
    an edit replaces them, a delete removes them, so they hold only live mentions."""

    __tablename__ = "message_mentions"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))

    __table_args__ = (
        # A person's latest mentions, across rooms (GET /api/mentions).
        Index("ix_message_mentions_user_id_message_id", "user_id", "message_id"),
        # A person's mentions in one room after their read position (the room's `mentions`).
        Index("ix_message_mentions_user_id_room_id_message_id", "user_id", "room_id", "message_id"),
    )


class Vote(Base):
    __tablename__ = "votes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True, index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (CheckConstraint("value IN (1, -1)", name="value_is_one_or_minus_one"),)


class MessageVersion(Base):
    """An earlier body of an edited message: the body it had, and when that body was written
    by an edit (null for the original)."""

    __tablename__ = "message_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Mute(Base):
    """A person who may not send in a room until `until`. One row per person and room; a row
    whose `until` has passed is a mute that ended by itself."""

    __tablename__ = "mutes"

    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(200))
    moderator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModerationEntry(Base):
    """One line of a room's public moderation log."""

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))  # delete, mute, unmute, role
    moderator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), nullable=True)
    reason: Mapped[str] = mapped_column(String(200))
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The role given, for `role` entries.
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    moderator: Mapped[User] = relationship(foreign_keys=[moderator_id], lazy="joined")
    target: Mapped[User | None] = relationship(foreign_keys=[target_id], lazy="joined")

    # The log of a room, newest first, paged by id.
    __table_args__ = (Index("ix_moderation_log_room_id_id", "room_id", "id"),)
