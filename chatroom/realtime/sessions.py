"""Ending a log-in session, or revoking an API token, closes its sockets in every server process.

Every socket is in one Socket.IO room for the credential it connected with: its log-in
session's or its API token's (chatroom/channels.py). The process that ends the credential
closes the sockets it holds itself. With several processes (REDIS_URL set) it also publishes
that room's name on a Redis channel that every process listens to, and each one closes the
sockets it holds there.
"""

from __future__ import annotations

import json
import logging

import redis
from flask_socketio import SocketIO

from chatroom.channels import session_channel, session_ended_channel

log = logging.getLogger(__name__)


# Why a socket is closed: `session_ended {"reason"}` (docs/protocol.md).
REASONS = frozenset({"logged_out", "token_revoked"})


def disconnect_local(socketio: SocketIO, channel: str, reason: str = "logged_out") -> int:
    """Tell this process's sockets in that Socket.IO room why, then close them; returns how many.

    The event is sent from this process, not through the message queue, so that it reaches each
    socket before its disconnect, whichever process ended the credential.
    """
    server = socketio.server
    sids = [sid for sid, _eio_sid in list(server.manager.get_participants("/", channel))]
    if sids:
        server.emit("session_ended", {"reason": reason}, to=channel, namespace="/", ignore_queue=True)
    for sid in sids:
        server.disconnect(sid, namespace="/")
    return len(sids)


def publish_channel_end(redis_url: str, prefix: str, channel: str, reason: str) -> None:
    """Ask every process to close its sockets in `channel` (a session's or a token's room)."""
    payload = {"channel": channel, "reason": reason}
    if channel.startswith("session:"):
        # Also in the form processes of the previous release understand (a rolling upgrade).
        payload["token_hash"] = channel.removeprefix("session:")
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        client.publish(session_ended_channel(prefix), json.dumps(payload))
    except redis.RedisError:
        # The other processes' sockets still re-check their credential within a minute.
        log.warning("could not publish an ended session to the other processes", exc_info=True)


def _ended(data: object) -> tuple[str, str] | None:
    """The Socket.IO room to close and why, from a published message (None if malformed)."""
    if not isinstance(data, dict):
        return None
    reason = data.get("reason")
    reason = reason if reason in REASONS else "logged_out"
    channel = data.get("channel")
    if isinstance(channel, str) and channel.startswith(("session:", "token:")):
        return channel, reason
    # The form published before tokens existed, from a process not yet upgraded.
    token_hash = data.get("token_hash")
    return (session_channel(token_hash), reason) if isinstance(token_hash, str) else None


def start_listener(socketio: SocketIO, redis_url: str, prefix: str) -> None:
    """Listen for sessions ended and tokens revoked in other processes, reconnecting as needed."""

    def listen() -> None:
        while True:
            try:
                pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                pubsub.subscribe(session_ended_channel(prefix))
                for message in pubsub.listen():
                    ended = _ended(json.loads(message["data"]))
                    if ended is not None:
                        disconnect_local(socketio, *ended)
            except (redis.RedisError, ValueError, AttributeError):
                log.warning("session-end listener lost Redis; retrying", exc_info=True)
                socketio.sleep(1)

    socketio.start_background_task(listen)
