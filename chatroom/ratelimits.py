"""Socket-side rate limits, kept in the same store as the HTTP limits (Redis when set)."""

from __future__ import annotations

import logging

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from chatroom.config import Config
from chatroom.errors import ChatError

MESSAGES_PER_USER = "20/10 seconds"
LOGIN_FAILURES_PER_IP = "20/5 minutes"
LOGIN_FAILURES_PER_ACCOUNT = "10/5 minutes"
SIGNUPS_PER_IP = "20/hour"

log = logging.getLogger(__name__)


class SocketRateLimits:
    def __init__(self) -> None:
        self._limiter: MovingWindowRateLimiter | None = None
        self._message_limit: RateLimitItem = parse(MESSAGES_PER_USER)

    def init(self, config: Config) -> None:
        self._limiter = (
            MovingWindowRateLimiter(
                storage_from_string(config.rate_limit_storage, key_prefix=f"{config.redis_prefix}:socket")
            )
            if config.rate_limits
            else None
        )

    def hit_message(self, user_id: int) -> None:
        """Count one message against the user's budget; raise rate_limited when it is spent."""
        if self._limiter is None:
            return
        try:
            allowed = self._limiter.hit(self._message_limit, "messages", str(user_id))
        except Exception:
            log.warning("rate limit store unavailable; message allowed", exc_info=True)
            return
        if not allowed:
            raise ChatError("rate_limited", "too many messages; wait a few seconds")


socket_limits = SocketRateLimits()
