"""Sign-up, log-in, log-out and who am I."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, session
from flask_login import current_user, login_user, logout_user

from chatroom.api import json_body
from chatroom.errors import ChatError
from chatroom.extensions import db, limiter
from chatroom.ratelimits import LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_IP, SIGNUPS_PER_IP
from chatroom.schemas import LoginIn, SignupIn
from chatroom.services import accounts
from chatroom.wire import user_view

bp = Blueprint("auth", __name__, url_prefix="/api")


def _login_failed(response: Response) -> bool:
    return response.status_code == 401


def _account_key() -> str:
    data = request.get_json(silent=True, force=True)
    email = data.get("email") if isinstance(data, dict) else None
    return f"account:{email.strip().lower()}" if isinstance(email, str) else "account:?"


def _begin(user_session: accounts.SessionUser) -> None:
    # A fresh cookie on every log-in: nothing from before the log-in carries over.
    session.clear()
    login_user(user_session)


@bp.post("/signup")
@limiter.limit(SIGNUPS_PER_IP)
def signup() -> tuple[Response, int]:
    data = json_body(SignupIn)
    with db.session() as s:
        user = accounts.sign_up(s, data.email, data.username, data.password)
        _begin(accounts.start_session(s, user))
        return jsonify({"user": user_view(user)}), 201


@bp.post("/login")
@limiter.limit(LOGIN_FAILURES_PER_IP, deduct_when=_login_failed)
@limiter.limit(LOGIN_FAILURES_PER_ACCOUNT, key_func=_account_key, deduct_when=_login_failed)
def login() -> tuple[Response, int]:
    data = json_body(LoginIn)
    with db.session() as s:
        user = accounts.authenticate(s, data.email, data.password)
        _begin(accounts.start_session(s, user))
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
    user = {"id": current_user.id, "username": current_user.username, "email": current_user.email}
    return jsonify({"user": user}), 200


def load_session_user(token: str) -> accounts.SessionUser | None:
    """Flask-Login's user loader: the cookie holds a session token."""
    config = current_app.extensions["chatroom.config"]
    with db.session() as s:
        return accounts.resume_session(s, token, config.session_idle_timeout, config.session_absolute_timeout)
