"""Rooms over HTTP: listing, creating and describing them, history and Top pages for clients
without a socket, the messages around one message, and search."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user

from chatroom.api import json_body
from chatroom.errors import ChatError
from chatroom.extensions import db, limiter
from chatroom.ratelimits import ROOM_CREATIONS_PER_USER
from chatroom.realtime.presence import presence
from chatroom.schemas import CreateRoomIn, HistoryQuery, SearchQuery, TopQuery
from chatroom.services import messages, rooms, search, top

bp = Blueprint("rooms", __name__, url_prefix="/api/rooms")


def _require_login() -> None:
    if not current_user.is_authenticated:
        raise ChatError("unauthorized", "log in first")


def _creator_key() -> str:
    # Only logged-in requests get past the handler's check; the others share one key.
    return f"room-creator:{current_user.id}" if current_user.is_authenticated else "room-creator:anonymous"


def _created(response: Response) -> bool:
    return response.status_code == 201


def _searcher_key() -> str:
    # Anonymous requests are refused (401) and not counted: see _searched.
    return f"searcher:{current_user.id}" if current_user.is_authenticated else "searcher:anonymous"


def _searched(response: Response) -> bool:
    return response.status_code != 401


def _search_rate() -> str:
    return str(current_app.extensions["chatroom.config"].search_rate_limit)


@bp.get("")
def list_rooms() -> tuple[Response, int]:
    _require_login()
    with db.session() as s:
        found = rooms.list_rooms(s, current_user.id, presence.counts)
    return jsonify({"rooms": found}), 200


@bp.post("")
@limiter.limit(ROOM_CREATIONS_PER_USER, key_func=_creator_key, deduct_when=_created)
def create_room() -> tuple[Response, int]:
    _require_login()
    data = json_body(CreateRoomIn)
    with db.session() as s:
        room = rooms.create_room(s, current_user.id, data.name, data.topic)
        return jsonify({"room": rooms.describe_room(s, current_user.id, room.slug, presence.counts)}), 201


@bp.get("/<slug>")
def get_room(slug: str) -> tuple[Response, int]:
    _require_login()
    with db.session() as s:
        return jsonify({"room": rooms.describe_room(s, current_user.id, slug, presence.counts)}), 200


@bp.get("/<slug>/messages")
def history(slug: str) -> tuple[Response, int]:
    _require_login()
    query = HistoryQuery.model_validate(request.args.to_dict())
    with db.session() as s:
        if query.around is not None:
            around = messages.load_around(s, current_user.id, slug, query.around, query.limit)
            body = {"ok": True, "messages": around.messages, "has_more": around.has_more, "has_newer": around.has_newer}
            return jsonify(body), 200
        page = messages.load_history(s, current_user.id, slug, query.before, query.limit)
    return jsonify({"ok": True, "messages": page.messages, "has_more": page.has_more}), 200


@bp.get("/<slug>/search")
@limiter.limit(_search_rate, key_func=_searcher_key, deduct_when=_searched)
def search_room(slug: str) -> tuple[Response, int]:
    _require_login()
    query = SearchQuery.model_validate(request.args.to_dict())
    with db.session() as s:
        page = search.search_messages(s, current_user.id, slug, query.q, query.limit, query.cursor)
    body = {
        "messages": page.messages,
        "highlights": page.highlights,
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
    }
    return jsonify(body), 200


@bp.get("/<slug>/top")
def top_page(slug: str) -> tuple[Response, int]:
    _require_login()
    query = TopQuery.model_validate(request.args.to_dict())
    with db.session() as s:
        page = top.load_top(s, current_user.id, slug, query.window, query.limit, query.offset)
    return jsonify({"ok": True, "window": page.window, "messages": page.messages, "has_more": page.has_more}), 200
