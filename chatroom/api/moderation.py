"""Edits' versions, roles and the public moderation log over HTTP."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user

from chatroom.api import json_body
from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.schemas import MAX_ID, ModerationQuery, RoleIn
from chatroom.services import messages, moderation
from chatroom.wire import user_view

bp = Blueprint("moderation", __name__, url_prefix="/api")


def _require_login() -> None:
    if not current_user.is_authenticated:
        raise ChatError("unauthorized", "log in first")


@bp.get("/messages/<message_id>/history")
def history(message_id: str) -> tuple[Response, int]:
    _require_login()
    if not message_id.isascii() or not message_id.isdigit() or not 1 <= int(message_id) <= MAX_ID:
        raise ChatError("invalid", "message id: must be a positive integer", "message_id")
    with db.session() as s:
        versions = messages.message_versions(s, current_user.id, int(message_id))
    return jsonify({"versions": versions}), 200


@bp.post("/users/<username>/role")
def set_role(username: str) -> tuple[Response, int]:
    _require_login()
    data = json_body(RoleIn)
    with db.session() as s:
        user = moderation.set_role(s, current_user._get_current_object(), username, data.role, data.reason)
        return jsonify({"user": user_view(user)}), 200


@bp.get("/rooms/<slug>/moderation")
def moderation_log(slug: str) -> tuple[Response, int]:
    _require_login()
    query = ModerationQuery.model_validate(request.args.to_dict())
    with db.session() as s:
        page = moderation.moderation_log(s, slug, query.before, query.limit)
    return jsonify({"entries": page.entries, "has_more": page.has_more}), 200
