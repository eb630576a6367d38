"""Names of the Socket.IO rooms and Redis channels that carry events to clients.

Written once here so the broadcaster and the socket handlers, which put sockets into these
rooms, cannot drift apart.
"""

from __future__ import annotations


def room_channel(slug: str) -> str:
    """The Socket.IO room holding every socket that joined a chat room."""
    return f"room:{slug}"


def user_channel(user_id: int) -> str:
    """The Socket.IO room holding every socket of one person, in every process."""
    return f"user:{user_id}"


def session_channel(token_hash: str) -> str:
    """The Socket.IO room holding every socket opened with one log-in session."""
    return f"session:{token_hash}"


def token_channel(token_id: int) -> str:
    """The Socket.IO room holding every socket opened with one personal API token."""
    return f"token:{token_id}"


def session_ended_channel(prefix: str) -> str:
    """The Redis channel on which processes tell each other of ended sessions and revoked tokens."""
    return f"{prefix}:session-ended"
