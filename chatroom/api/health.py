"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from chatroom.errors import ChatError
from chatroom.extensions import db

bp = Blueprint("health", __name__)


def _database_answers() -> None:
    try:
        with db.session() as s:
            s.execute(text("SELECT 1"))
    except Exception as exc:
        raise ChatError("unavailable", "the database is not answering") from exc


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    _database_answers()
    return jsonify({"status": "ok"}), 200


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    _database_answers()
    redis_url = current_app.extensions["chatroom.config"].redis_url
    if redis_url:
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2).ping()
        except Exception as exc:
            raise ChatError("unavailable", "redis is not answering") from exc
    return jsonify({"status": "ok"}), 200
