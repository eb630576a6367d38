"""@mentions over HTTP: the reader's mentions, and the people an @ can name."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user

from chatroom.errors import ChatError
from chatroom.extensions import db, limiter
from chatroom.schemas import MentionsQuery, UsersQuery
from chatroom.services import mentions

bp = Blueprint("mentions", __name__, url_prefix="/api")


def _require_login() -> None:
    if not current_user.is_authenticated:
        raise ChatError("unauthorized", "log in first")


def _lookup_rate() -> str:
    return f"{current_app.extensions['chatroom.config'].user_lookups_per_minute}/minute"


def _lookup_key() -> str:
    # Only logged-in requests get past the handler's check; the others share one key.
    return f"user-lookup:{current_user.id}" if current_user.is_authenticated else "user-lookup:anonymous"


@bp.get("/mentions")
def list_mentions() -> tuple[Response, int]:
    _require_login()
    query = MentionsQuery.model_validate(request.args.to_dict())
    with db.session() as s:
        page = mentions.load_mentions(s, current_user.id, query.before, query.limit)
    return jsonify({"messages": page.messages, "has_more": page.has_more}), 200


@bp.get("/users")
@limiter.limit(_lookup_rate, key_func=_lookup_key)
def find_users() -> tuple[Response, int]:
    _require_login()
    query = UsersQuery.model_validate(request.args.to_dict())
    with db.session() as s:
        found = mentions.find_users(s, query.prefix, query.limit)
    return jsonify({"users": found}), 200
