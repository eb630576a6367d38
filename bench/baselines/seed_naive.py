"""Baseline: the seed's design done plainly, for the benchmark to compare against.

Flask-SocketIO in threading mode; every message is an ORM insert with its own commit; a join
fetches the room's whole history and emits it one row at a time; a vote is an ORM read-modify-
write with a commit and a broadcast. No authentication (a cookie, if sent, is ignored).
Same events and ack shapes as the chatroom: join, data, upvote.

    python bench/baselines/seed_naive.py --port 5003 --database-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask_socketio import SocketIO, emit, join_room
from sqlalchemy import DateTime, Integer, String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class SeedMessage(Base):
    __tablename__ = "seed_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room: Mapped[str] = mapped_column(String(64), index=True)
    username: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    downvotes: Mapped[int] = mapped_column(Integer, default=0)


def view(m: SeedMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "room": m.room,
        "body": m.body,
        "username": m.username,
        "created_at": m.created_at.isoformat(),
        "upvotes": m.upvotes,
        "downvotes": m.downvotes,
    }


def create(database_url: str) -> tuple[Flask, SocketIO]:
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    engine = create_engine(database_url, pool_size=20, max_overflow=40)
    Base.metadata.create_all(engine)
    new_session = sessionmaker(engine, expire_on_commit=False)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.urandom(16).hex()
    socketio = SocketIO(app, async_mode="threading", cors_allowed_origins="*", logger=False, engineio_logger=False)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @socketio.on("join")
    def on_join(data: dict[str, Any]) -> dict[str, Any]:
        join_room(data["room"])
        with new_session() as s:
            rows = s.query(SeedMessage).filter(SeedMessage.room == data["room"]).order_by(SeedMessage.id).all()
            for row in rows:
                emit("data", view(row))
        return {"ok": True, "count": len(rows)}

    @socketio.on("data")
    def on_data(data: dict[str, Any]) -> dict[str, Any]:
        with new_session() as s:
            message = SeedMessage(room=data["room"], username="seed", body=data["body"])
            s.add(message)
            s.commit()
            payload = view(message)
        socketio.emit("data", payload, to=data["room"])
        return {"ok": True, "message": payload}

    @socketio.on("upvote")
    def on_upvote(data: dict[str, Any]) -> dict[str, Any]:
        with new_session() as s:
            message = s.get(SeedMessage, data["message_id"], with_for_update=True)
            if message is None:
                return {"ok": False, "error": {"code": "not_found", "message": "no such message"}}
            message.upvotes += 1
            s.commit()
            payload = view(message)
        socketio.emit("vote", payload, to=payload["room"])
        return {"ok": True, **payload, "my_vote": 1}

    return app, socketio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=5003)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    app, socketio = create(args.database_url)
    socketio.run(app, host="127.0.0.1", port=args.port, allow_unsafe_werkzeug=True, log_output=False)


if __name__ == "__main__":
    main()
