"""Ending a log-in session closes its sockets in every server process.

The process that handles log-out closes the sockets it holds itself. With several processes
(REDIS_URL set) it also publishes the ended session on a Redis channel that every process
listens to, and each one closes the sockets it holds for that session.
"""

from __future__ import annotations

import json
import logging

import redis
from flask_socketio import SocketIO

from chatroom.channels import session_channel, session_ended_channel

log = logging.getLogger(__name__)


def disconnect_local(socketio: SocketIO, token_hash: str) -> int:
    """Close this process's sockets opened with that session; returns how many."""
    server = socketio.server
    sids = [sid for sid, _eio_sid in list(server.manager.get_participants("/", session_channel(token_hash)))]
    for sid in sids:
        server.disconnect(sid, namespace="/")
    return len(sids)


def publish_session_end(redis_url: str, prefix: str, token_hash: str) -> None:
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        client.publish(session_ended_channel(prefix), json.dumps({"token_hash": token_hash}))
    except redis.RedisError:
        # The other processes' sockets still re-check their session within a minute.
        log.warning("could not publish an ended session to the other processes", exc_info=True)


def start_listener(socketio: SocketIO, redis_url: str, prefix: str) -> None:
    """Listen for sessions ended in other processes, reconnecting to Redis as needed."""

    def listen() -> None:
        while True:
            try:
                pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                pubsub.subscribe(session_ended_channel(prefix))
                for message in pubsub.listen():
                    token_hash = json.loads(message["data"]).get("token_hash")
                    if isinstance(token_hash, str):
                        disconnect_local(socketio, token_hash)
            except (redis.RedisError, ValueError, AttributeError):
                log.warning("session-end listener lost Redis; retrying", exc_info=True)
                socketio.sleep(1)

    socketio.start_background_task(listen)
