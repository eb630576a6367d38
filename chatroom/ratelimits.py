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
# Keyed on the account AND the address: a stranger spending it locks out only themselves.
LOGIN_FAILURES_PER_ACCOUNT = "10/5 minutes"
# Every log-in runs argon2, successful ones too: this bounds what one address can make us hash.
LOGINS_PER_IP = "60/5 minutes"
SIGNUPS_PER_IP = "20/hour"
# A client joins its rooms after each reconnect and pages back through history; far more
# than that is a flood, which would otherwise hold other people's requests behind it.
JOINS_PER_USER = "120/minute"
HISTORY_PAGES_PER_USER = "120/minute"
TOP_PAGES_PER_USER = "120/minute"
VOTES_PER_USER = "60/minute"
# Edits and deletes together; each one is broadcast to the whole room.
EDITS_PER_USER = "30/minute"
# Mutes and unmutes together, per moderator.
MUTES_PER_USER = "30/minute"
ROOM_CREATIONS_PER_USER = "5/hour"
# At most 20 tokens are live at once; this bounds create-and-revoke churn (revoked rows stay).
TOKEN_CREATIONS_PER_USER = "100/hour"  # noqa: S105 - a rate, not a secret

log = logging.getLogger(__name__)


def scaled(limit: str, scale: int) -> RateLimitItem:
    """`limit` ("20/10 seconds") with `scale` times the amount in the same window."""
    amount, window = limit.split("/", 1)
    return parse(f"{int(amount) * scale}/{window}")


class SocketRateLimits:
    def __init__(self) -> None:
        self._limiter: MovingWindowRateLimiter | None = None
        self.init_limits(1)

    def init(self, config: Config) -> None:
        self._limiter = (
            MovingWindowRateLimiter(
                storage_from_string(config.rate_limit_storage, key_prefix=f"{config.redis_prefix}:socket")
            )
            if config.rate_limits
            else None
        )
        self.init_limits(config.rate_limit_scale)

    def init_limits(self, scale: int) -> None:
        """The per-user limits, each allowing `scale` times its usual amount."""
        self._message_limit: RateLimitItem = scaled(MESSAGES_PER_USER, scale)
        self._join_limit: RateLimitItem = scaled(JOINS_PER_USER, scale)
        self._history_limit: RateLimitItem = scaled(HISTORY_PAGES_PER_USER, scale)
        self._vote_limit: RateLimitItem = scaled(VOTES_PER_USER, scale)
        self._top_limit: RateLimitItem = scaled(TOP_PAGES_PER_USER, scale)
        self._edit_limit: RateLimitItem = scaled(EDITS_PER_USER, scale)
        self._mute_limit: RateLimitItem = scaled(MUTES_PER_USER, scale)

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

    def hit_join(self, user_id: int) -> None:
        """Count one `join`; raise rate_limited when the user's budget is spent."""
        self._charge(self._join_limit, "joins", user_id, "too many joins; wait a minute")

    def hit_history(self, user_id: int) -> None:
        """Count one history page; raise rate_limited when the user's budget is spent."""
        self._charge(self._history_limit, "history", user_id, "too many history requests; wait a minute")

    def hit_top(self, user_id: int) -> None:
        """Count one Top page; raise rate_limited when the user's budget is spent."""
        self._charge(self._top_limit, "top", user_id, "too many Top pages; wait a minute")

    def hit_vote(self, user_id: int) -> None:
        """Count one vote; raise rate_limited when the user's budget is spent."""
        self._charge(self._vote_limit, "votes", user_id, "too many votes; wait a minute")

    def hit_edit(self, user_id: int) -> None:
        """Count one edit or delete; raise rate_limited when the user's budget is spent."""
        self._charge(self._edit_limit, "edits", user_id, "too many edits and deletes; wait a minute")

    def hit_mute(self, user_id: int) -> None:
        """Count one mute or unmute; raise rate_limited when the user's budget is spent."""
        self._charge(self._mute_limit, "mutes", user_id, "too many mutes; wait a minute")

    def _charge(self, item: RateLimitItem, kind: str, user_id: int, message: str) -> None:
        if self._limiter is None:
            return
        try:
            allowed = self._limiter.hit(item, kind, str(user_id))
        except Exception:
            # Unlike log-in, these only pace members who are already authenticated.
            log.warning("rate limit store unavailable; %s allowed", kind, exc_info=True)
            return
        if not allowed:
            raise ChatError("rate_limited", message)


socket_limits = SocketRateLimits()
