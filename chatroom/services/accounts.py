"""Sign-up, log-in and the server-side sessions behind the cookie."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatroom import broadcaster, passwords
from chatroom.errors import ChatError
from chatroom.models import AuthSession, User, utcnow
from chatroom.schemas import USERNAME_MAX_CHARS, USERNAME_MIN_CHARS, USERNAME_PATTERN
from chatroom.services import rooms

USERNAME_RE = re.compile(USERNAME_PATTERN)
# Refreshing last_seen_at on every request would turn every read into a write. At most every
# five minutes, or a tenth of the idle timeout if that is shorter: each socket re-checks its
# session once a minute (realtime/handlers.py), and a one-minute resolution made nearly every
# re-check a commit (167 a second for 10,000 open sockets).
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class Caller:
    """Who is acting, as Flask-Login, the socket handlers and the services see them.

    A log-in session (SessionUser, the cookie) or a personal API token (services/tokens.py).
    """

    id: int
    username: str
    email: str
    # As read when the session or token was resumed: fine for showing, never for permission
    # checks, which read the role from the database (services.moderation.role_of).
    role: str = field(default="member", kw_only=True)

    is_authenticated = True
    is_active = True
    is_anonymous = False


@dataclass(frozen=True)
class SessionUser(Caller):
    """Who a cookie belongs to."""

    token: str

    def get_id(self) -> str:
        # Flask-Login keeps this in the cookie: the session token, not the user id, so that
        # ending the session on the server ends it everywhere.
        return self.token

    @property
    def token_hash(self) -> str:
        return hash_token(self.token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(raw: str) -> str:
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ChatError("invalid", f"email: {exc}", "email") from exc
    return result.normalized


def fold_email(raw: str) -> str:
    """The form emails are compared in: validated, then NFKC and case-folded.

    Never raises: text that is not a valid address is folded as it is, so that a rate limit
    keyed on it still counts (such an address matches no account).
    """
    try:
        email = normalize_email(raw)
    except ChatError:
        email = raw.strip()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold())


def sign_up(session: Session, email: str, username: str, password: str) -> User:
    """Create an account. Raises ChatError invalid/taken naming the field at fault."""
    email = normalize_email(email)
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise ChatError(
            "invalid",
            f"username: must be {USERNAME_MIN_CHARS}-{USERNAME_MAX_CHARS} letters, digits, _ or -",
            "username",
        )
    problem = passwords.policy_problem(password, username, email)
    if problem:
        raise ChatError("invalid", f"password: {problem}", "password")
    folded = fold_email(email)
    # Hashed before the first query: hashing waits on a thread (gevent), and on SQLite a
    # transaction already open would hold the write lock while every other greenlet of the
    # process blocks on it.
    password_hash = passwords.hash_password(password)
    _raise_if_taken(session, folded, username)
    user = User(email=email, email_folded=folded, username=username, password_hash=password_hash)
    session.add(user)
    try:
        session.flush()
        # Everyone is a member of `general` from sign-up, in the same transaction.
        rooms.add_member(session, user.id, rooms.GENERAL)
        if _first_account(session, user.id):
            user.role = "admin"
        session.commit()
    except IntegrityError:
        # Lost a race with an identical sign-up: report it as the check above would have.
        session.rollback()
        _raise_if_taken(session, folded, username)
        raise
    return user


# Any constant: the key of the PostgreSQL advisory lock that first sign-ups queue on.
_FIRST_ACCOUNT_LOCK = 0x63686174


def _first_account(session: Session, user_id: int) -> bool:
    """Whether the account just inserted (uncommitted) is the server's first, race-safely.

    Call inside the sign-up's transaction, after the insert. On SQLite the transaction holds
    the database's write lock (BEGIN IMMEDIATE), so no other sign-up is in between. On
    PostgreSQL two first sign-ups cannot see each other's uncommitted rows; they queue on a
    transaction-scoped advisory lock, and the second then sees the first's committed account.
    The lock is taken only while no other account is visible, i.e. on an empty server.
    """
    others = select(User.id).where(User.id != user_id).limit(1)
    if session.scalar(others) is not None:
        return False
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FIRST_ACCOUNT_LOCK})
        # A new statement: under read committed it sees what committed while we waited.
        return session.scalar(others) is None
    return True


def _raise_if_taken(session: Session, folded_email: str, username: str) -> None:
    if session.scalar(select(User.id).where(User.email_folded == folded_email)) is not None:
        raise ChatError("taken", "email is already registered", "email")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        raise ChatError("taken", "username is already taken", "username")


def authenticate(session: Session, email: str, password: str) -> User:
    """The user with these credentials; one argon2 verification whether or not they exist."""
    user = session.scalar(select(User).where(User.email_folded == fold_email(email)))
    stored_hash = user.password_hash if user else None
    # End the read before verifying: no transaction stays open while argon2 runs (sign_up).
    session.commit()
    if not passwords.verify_password(stored_hash, password) or user is None or stored_hash is None:
        raise ChatError("bad_credentials", "wrong email or password")
    if passwords.HASHER.check_needs_rehash(stored_hash):
        new_hash = passwords.hash_password(password)
        user.password_hash = new_hash
        session.commit()
    return user


def start_session(session: Session, user: User) -> SessionUser:
    """A new server-side session (and token) for a log-in; never reuses an old one."""
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(token_hash=hash_token(token), user_id=user.id))
    session.commit()
    return SessionUser(id=user.id, username=user.username, email=user.email, token=token, role=user.role)


def end_oldest_sessions(session: Session, user_id: int, keep: int) -> list[str]:
    """End all but the `keep` newest sessions of a user (committed); returns the ended token hashes.

    The caller closes their sockets (broadcaster.session_ended) after this returns, as
    `begin_session` does.
    """
    ended = list(
        session.scalars(
            select(AuthSession.token_hash)
            .where(AuthSession.user_id == user_id)
            .order_by(AuthSession.created_at.desc(), AuthSession.token_hash)
            .offset(keep)
        )
    )
    if ended:
        session.execute(delete(AuthSession).where(AuthSession.token_hash.in_(ended)))
        session.commit()
    return ended


def begin_session(session: Session, user: User, max_sessions: int) -> SessionUser:
    """Start a log-in session, ending the user's oldest past `max_sessions` everywhere.

    Both are committed before the ended sessions' sockets are told, as with log-out.
    """
    started = start_session(session, user)
    for token_hash in end_oldest_sessions(session, user.id, max_sessions):
        broadcaster.session_ended(token_hash)
    return started


def end_session(session: Session, token: str) -> None:
    session.execute(delete(AuthSession).where(AuthSession.token_hash == hash_token(token)))
    session.commit()


def log_out(session: Session, token: str) -> None:
    """End a log-in session, then close its sockets in every process (after the commit)."""
    end_session(session, token)
    broadcaster.session_ended(hash_token(token))


def resume_session(session: Session, token: str, idle_timeout: int, absolute_timeout: int) -> SessionUser | None:
    """The session behind a cookie token, or None when unknown or timed out."""
    # One Core query, no ORM objects: every socket handshake and page load runs this.
    token_hash = hash_token(token)
    row = session.execute(
        select(AuthSession.created_at, AuthSession.last_seen_at, User.id, User.username, User.email, User.role)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_hash)
    ).first()
    if row is None:
        return None
    created_at, last_seen_at, user_id, username, email, role = row
    now = utcnow()
    created, seen = _aware(created_at), _aware(last_seen_at)
    if now - created > timedelta(seconds=absolute_timeout) or now - seen > timedelta(seconds=idle_timeout):
        session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash))
        session.commit()
        return None
    if now - seen > min(LAST_SEEN_RESOLUTION, timedelta(seconds=idle_timeout) / 10):
        session.execute(update(AuthSession).where(AuthSession.token_hash == token_hash).values(last_seen_at=now))
        session.commit()
    return SessionUser(id=user_id, username=username, email=email, token=token, role=role)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
