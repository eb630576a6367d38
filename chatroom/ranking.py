"""How the room ranks a message by its votes (docs/protocol.md, `get_top`): pure functions.

The Top view orders messages by the lower bound of the Wilson score interval at 95% for the
share of upvotes, highest first, then by id, lowest first. A message with few votes gets a
wide interval and so a low bound: one upvote does not outrank a hundred upvotes and ten
downvotes. The bound is stored with each message (`messages.wilson_lb`) and kept current in
the transaction that changes its totals, so a Top page is an index walk, never a sort of
the room.
"""

from __future__ import annotations

import math

# The 97.5th percentile of the standard normal distribution: a two-sided 95% interval.
Z = 1.959963984540054
_Z2 = Z * Z


def wilson_lower_bound(upvotes: int, downvotes: int) -> float:
    """The lower bound of the Wilson score interval for `upvotes` out of all votes.

    Exactly 0.0 when there is no upvote (no votes at all included): the formula is 0 there
    too, but floating-point noise could leave it a hair above 0 and rank an all-down
    message above a silent one.
    """
    if upvotes <= 0:
        return 0.0
    n = upvotes + downvotes
    p = upvotes / n
    return (p + _Z2 / (2 * n) - Z * math.sqrt((p * (1 - p) + _Z2 / (4 * n)) / n)) / (1 + _Z2 / n)


def is_collapsed(score: int, threshold: int) -> bool:
    """A message the room voted down to `threshold` or below is shown collapsed."""
    return score <= threshold
