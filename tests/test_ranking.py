"""The Top rank (chatroom/ranking.py) on hand-made cases, against the formula of docs/protocol.md."""

from __future__ import annotations

import math

import pytest

from chatroom.ranking import Z, is_collapsed, wilson_lower_bound


def by_hand(up: int, down: int) -> float:
    """The protocol's formula, written out term by term."""
    n = up + down
    p = up / n
    return (p + Z**2 / (2 * n) - Z * math.sqrt((p * (1 - p) + Z**2 / (4 * n)) / n)) / (1 + Z**2 / n)


def ranked(totals: dict[str, tuple[int, int]]) -> list[str]:
    """Names in rank order: bound highest first; ties in the order given (ids ascending)."""
    names = list(totals)
    return sorted(names, key=lambda name: (-wilson_lower_bound(*totals[name]), names.index(name)))


def test_no_votes_and_no_upvotes_are_exactly_zero() -> None:
    assert wilson_lower_bound(0, 0) == 0.0
    for down in (1, 7, 1000):
        assert wilson_lower_bound(0, down) == 0.0
    # The formula is 0 there too, up to floating-point noise, which must not reach the ranking.
    assert by_hand(0, 7) == pytest.approx(0.0, abs=1e-12)


def test_only_upvotes_have_the_closed_form_n_over_n_plus_z_squared() -> None:
    # With p = 1 the square root is z/(2n) and the bound reduces to n / (n + z²).
    for n in (1, 2, 5, 100):
        assert wilson_lower_bound(n, 0) == pytest.approx(n / (n + Z * Z), rel=1e-12)
    assert wilson_lower_bound(1, 0) == pytest.approx(0.20654931437723742, rel=1e-12)


@pytest.mark.parametrize(("up", "down"), [(1, 1), (3, 1), (100, 10), (5, 5), (1, 99), (250, 3)])
def test_mixed_votes_follow_the_formula(up: int, down: int) -> None:
    assert wilson_lower_bound(up, down) == pytest.approx(by_hand(up, down), rel=1e-12)
    assert 0.0 < wilson_lower_bound(up, down) < up / (up + down)


def test_one_upvote_ranks_below_a_hundred_up_and_ten_down() -> None:
    assert wilson_lower_bound(1, 0) == pytest.approx(0.2065, abs=1e-4)
    assert wilson_lower_bound(100, 10) == pytest.approx(0.8407, abs=1e-4)
    assert ranked({"one up": (1, 0), "100 up 10 down": (100, 10)}) == ["100 up 10 down", "one up"]


def test_ties_keep_id_order_and_all_down_ties_with_silence() -> None:
    totals = {
        "silent": (0, 0),
        "one up": (1, 0),
        "all down": (0, 7),
        "popular": (100, 10),
        "one up again": (1, 0),
        "split": (5, 5),
        "silent again": (0, 0),
    }
    assert wilson_lower_bound(1, 0) == wilson_lower_bound(1, 0)
    assert ranked(totals) == ["popular", "split", "one up", "one up again", "silent", "all down", "silent again"]


def test_collapse_is_at_or_below_the_threshold() -> None:
    assert is_collapsed(-5, -5)
    assert is_collapsed(-6, -5)
    assert not is_collapsed(-4, -5)
    assert is_collapsed(0, 0)
