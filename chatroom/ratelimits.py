"""Socket-side rate limits, kept in the same store as the HTTP limits (Redis when set)."""

from __future__ import annotations

import logging

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from chatroom.config import Config

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

    def messages_left(self, user_id: int) -> int | None:
        """How many more messages the user may send now; None when there is no limit to keep."""
        if self._limiter is None:
            return None
        try:
            return int(self._limiter.get_window_stats(self._message_limit, "messages", str(user_id)).remaining)
        except Exception:
            log.warning("rate limit store unavailable; messages allowed", exc_info=True)
            return None

    def charge_messages(self, user_id: int, count: int) -> None:
        """Count `count` stored messages against the user's budget (after their commit)."""
        if self._limiter is None:
            return
        try:
            # A window another process filled meanwhile refuses the hit: it is full either way.
            self._limiter.hit(self._message_limit, "messages", str(user_id), cost=count)
        except Exception:
            log.warning("rate limit store unavailable; messages not counted", exc_info=True)


socket_limits = SocketRateLimits()
