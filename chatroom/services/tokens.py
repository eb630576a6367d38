"""Personal API tokens: scripts and bots act as their owner with `Authorization: Bearer`.

A secret is `chr_` and 256 random bits (URL-safe base64). Only its SHA-256 is stored: a secret
that random cannot be guessed from its hash, so a fast hash is enough (docs/security.md), and
every check is one indexed lookup of the presented secret's hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chatroom import broadcaster
from chatroom.errors import ChatError
from chatroom.models import ApiToken, User, utcnow
from chatroom.schemas import MAX_LIVE_TOKENS, TOKEN_NAME_MAX_CHARS, TOKEN_PREFIX
from chatroom.services.accounts import Caller

# The one answer for every token that does not work: unknown, malformed and revoked alike.
BAD_TOKEN = "the token is not valid"  # noqa: S105 - a message, not a secret
# Refreshing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenUser(Caller):
    """Who a personal API token belongs to, and which token it is."""

    token_id: int

    def get_id(self) -> str:
        # Never written to a cookie (Bearer requests do not log in); Flask-Login asks anyway.
        return f"token:{self.token_id}"


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    # surrogatepass: whatever text a client sends is hashed (and then found nowhere), never an error.
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(session: Session, user_id: int, name: str) -> tuple[ApiToken, str]:
    """A new token for `user_id`, committed; returns it with its secret, which is never stored.

    Raises ChatError invalid (field `name`) or too_many past MAX_LIVE_TOKENS live tokens.
    """
    name = name.strip()
    if not 1 <= len(name) <= TOKEN_NAME_MAX_CHARS:
        raise ChatError("invalid", f"name: must be 1-{TOKEN_NAME_MAX_CHARS} characters", "name")
    # Lock the owner's row so that two creations at once cannot both pass the cap (PostgreSQL;
    # SQLite's BEGIN IMMEDIATE already serialises writers).
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    live = session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    if (live or 0) >= MAX_LIVE_TOKENS:
        session.rollback()
        raise ChatError("too_many", f"at most {MAX_LIVE_TOKENS} tokens; revoke one first")
    secret = new_secret()
    token = ApiToken(user_id=user_id, name=name, secret_hash=hash_secret(secret))
    session.add(token)
    session.commit()
    return token, secret


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's live tokens, oldest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at, ApiToken.id)
        )
    )


def revoke_token(session: Session, user_id: int, token_id: int) -> None:
    """Revoke one of the user's live tokens, commit, then close its sockets in every process.

    Someone else's token, an unknown id and an already revoked token are all not_found.
    """
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    if token is None:
        session.rollback()
        raise ChatError("not_found", "no such token")
    token.revoked_at = utcnow()
    session.commit()
    broadcaster.token_revoked(token_id)


def authenticate_token(session: Session, secret: str) -> TokenUser | None:
    """The live token behind `secret` and its owner, or None.

    An unknown, malformed or revoked secret costs the same single indexed query and answers
    the same None, so neither the answer nor its timing tells them apart.
    """
    digest = hash_secret(secret)
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.secret_hash == digest, ApiToken.revoked_at.is_(None))
    ).first()
    if found is None:
        session.rollback()
        return None
    token, user = found
    if not hmac.compare_digest(token.secret_hash, digest):
        session.rollback()
        return None
    now = utcnow()
    if token.last_used_at is None or now - _aware(token.last_used_at) > LAST_USED_RESOLUTION:
        token.last_used_at = now
    session.commit()
    return TokenUser(id=user.id, username=user.username, email=user.email, token_id=token.id)


def token_is_live(session: Session, token_id: int) -> bool:
    """Whether a token still works (a socket's periodic re-check)."""
    live = session.scalar(select(ApiToken.id).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None)))
    session.rollback()
    return live is not None


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
