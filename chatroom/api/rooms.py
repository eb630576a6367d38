"""History over HTTP, for clients without a socket."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user

from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.schemas import HistoryQuery
from chatroom.services import messages

bp = Blueprint("rooms", __name__, url_prefix="/api/rooms")


@bp.get("/<slug>/messages")
def history(slug: str) -> tuple[Response, int]:
    if not current_user.is_authenticated:
        raise ChatError("unauthorized", "log in first")
    query = HistoryQuery.model_validate(request.args.to_dict())
    with db.session() as s:
        page = messages.load_history(s, current_user.id, slug, query.before, query.limit)
    return jsonify({"ok": True, "messages": page.messages, "has_more": page.has_more}), 200
