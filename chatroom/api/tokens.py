"""Personal API tokens over HTTP, and `Authorization: Bearer` on every /api route."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask_login import current_user

from chatroom.api import json_body
from chatroom.errors import ChatError
from chatroom.extensions import db, limiter
from chatroom.ratelimits import TOKEN_CREATIONS_PER_USER
from chatroom.schemas import MAX_ID, CreateTokenIn
from chatroom.security import bearer_secret
from chatroom.services import tokens
from chatroom.wire import token_view

bp = Blueprint("tokens", __name__, url_prefix="/api/tokens")


def install_bearer_auth(app: Flask) -> None:
    """Resolve `Authorization: Bearer` before anything else reads the caller.

    Call before the limiter binds to the app: its per-user keys read current_user, which must
    already be the token's owner. A Bearer request never reads the session cookie, even when it
    carries one, and never sets it.
    """

    @app.before_request
    def _authenticate_bearer() -> None:
        if not request.path.startswith("/api/"):
            return
        secret = bearer_secret()
        if secret is None:
            return
        with db.session() as s:
            user = tokens.authenticate_token(s, secret)
        if user is None:
            raise ChatError("unauthorized", tokens.BAD_TOKEN)
        # Flask-Login's current_user reads this before it would look at the cookie.
        g._login_user = user


def _cookie_user_id() -> int:
    """The caller's id; tokens cannot manage tokens, so a Bearer caller is refused."""
    if not current_user.is_authenticated:
        raise ChatError("unauthorized", "log in first")
    if isinstance(current_user._get_current_object(), tokens.TokenUser):
        raise ChatError("forbidden", "tokens are managed from a logged-in session, not with a token")
    return int(current_user.id)


def _creator_key() -> str:
    return f"token-creator:{current_user.id}" if current_user.is_authenticated else "token-creator:anonymous"


def _created(response: Response) -> bool:
    return response.status_code == 201


@bp.post("")
@limiter.limit(TOKEN_CREATIONS_PER_USER, key_func=_creator_key, deduct_when=_created)
def create_token() -> tuple[Response, int]:
    user_id = _cookie_user_id()
    data = json_body(CreateTokenIn)
    with db.session() as s:
        token, secret = tokens.create_token(s, user_id, data.name)
        return jsonify({"token": token_view(token), "secret": secret}), 201


@bp.get("")
def list_tokens() -> tuple[Response, int]:
    user_id = _cookie_user_id()
    with db.session() as s:
        return jsonify({"tokens": [token_view(token) for token in tokens.list_tokens(s, user_id)]}), 200


@bp.delete("/<token_id>")
def revoke_token(token_id: str) -> tuple[str, int]:
    user_id = _cookie_user_id()
    # Anything that is not a token id names no token.
    if not (token_id.isascii() and token_id.isdigit() and len(token_id) <= 19) or not 1 <= int(token_id) <= MAX_ID:
        raise ChatError("not_found", "no such token")
    with db.session() as s:
        tokens.revoke_token(s, user_id, int(token_id))
    return "", 204
