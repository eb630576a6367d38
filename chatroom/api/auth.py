"""Sign-up, log-in, log-out and who am I."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, session
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from redis import RedisError
from sqlalchemy.orm import Session

from chatroom.api import error_response, json_body
from chatroom.errors import ChatError
from chatroom.extensions import db, limiter
from chatroom.models import User
from chatroom.ratelimits import LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_IP, LOGINS_PER_IP, SIGNUPS_PER_IP
from chatroom.schemas import LoginIn, SignupIn
from chatroom.services import accounts
from chatroom.wire import user_view

bp = Blueprint("auth", __name__, url_prefix="/api")


def _login_failed(response: Response) -> bool:
    return response.status_code == 401


def _signup_counted(response: Response) -> bool:
    # Accounts made, and `taken` answers (which reveal registered addresses), count. A refused
    # body (400) creates nothing and costs no hashing: typos must not spend the budget.
    return response.status_code in {201, 409}


def _login_ran(response: Response) -> bool:
    # Every log-in that reached argon2, right or wrong password; not a refused body.
    return response.status_code in {200, 401}


def _account_key() -> str:
    """The per-account failure budget's key: the folded email AND the client's address.

    Keyed on the address too, so that a stranger spending the budget locks out only their own
    address, never the owner (docs/security.md). A key function must never raise: an
    exception here would skip the limit.
    """
    try:
        data = request.get_json(silent=True, force=True)
        email = data.get("email") if isinstance(data, dict) else None
        folded = accounts.fold_email(email) if isinstance(email, str) else "?"
    except Exception:  # noqa: BLE001 - any failure still counts, under a shared key
        folded = "?"
    return f"account:{folded}|{get_remote_address()}"


def _begin(s: Session, user: User) -> None:
    """Log `user` in on a fresh session, within the configured cap of sessions per user."""
    config = current_app.extensions["chatroom.config"]
    user_session = accounts.begin_session(s, user, config.max_sessions_per_user)
    # A fresh cookie on every log-in: nothing from before the log-in carries over.
    session.clear()
    login_user(user_session)


@bp.errorhandler(RedisError)
def _limit_store_down(_exc: RedisError) -> tuple[Response, int]:
    # The rate-limit store is unreachable: log-in and sign-up fail closed.
    return error_response(ChatError("unavailable", "log-in is briefly unavailable; try again shortly"))


@bp.post("/signup")
@limiter.limit(SIGNUPS_PER_IP, deduct_when=_signup_counted)
def signup() -> tuple[Response, int]:
    data = json_body(SignupIn)
    with db.session() as s:
        user = accounts.sign_up(s, data.email, data.username, data.password)
        _begin(s, user)
        return jsonify({"user": user_view(user)}), 201


@bp.post("/login")
@limiter.limit(LOGINS_PER_IP, deduct_when=_login_ran)
@limiter.limit(LOGIN_FAILURES_PER_IP, deduct_when=_login_failed)
@limiter.limit(LOGIN_FAILURES_PER_ACCOUNT, key_func=_account_key, deduct_when=_login_failed)
def login() -> tuple[Response, int]:
    data = json_body(LoginIn)
    with db.session() as s:
        user = accounts.authenticate(s, data.email, data.password)
        _begin(s, user)
        return jsonify({"user": user_view(user)}), 200


@bp.post("/logout")
def logout() -> tuple[str, int]:
    if current_user.is_authenticated:
        ended: accounts.SessionUser = current_user._get_current_object()
        with db.session() as s:
            accounts.log_out(s, ended.token)
        logout_user()
    session.clear()
    return "", 204


@bp.get("/me")
def me() -> tuple[Response, int]:
    if not current_user.is_authenticated:
        raise ChatError("unauthorized", "log in first")
    user = {
        "id": current_user.id,
        "username": current_user.username,
        "email": current_user.email,
        "role": current_user.role,
    }
    return jsonify({"user": user}), 200


def load_session_user(token: str) -> accounts.SessionUser | None:
    """Flask-Login's user loader: the cookie holds a session token."""
    config = current_app.extensions["chatroom.config"]
    with db.session() as s:
        return accounts.resume_session(s, token, config.session_idle_timeout, config.session_absolute_timeout)
