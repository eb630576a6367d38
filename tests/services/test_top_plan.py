"""PostgreSQL's plans for Top pages in a room of 120,000 messages: index walks, never the whole room.

Every statement a Top page runs is captured and run again under EXPLAIN ANALYZE. The checks
count rows, not milliseconds: no sequential scan, the rank index (or the voted messages'
index) for the ranking, no sort of the whole room, and far fewer rows read than the room
holds. Every tenth message is voted and the oldest have the most upvotes, so a window's
best messages are not the room's. The pages themselves are
compared with the ranking computed in Python from every row's totals.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text

from chatroom.extensions import db
from chatroom.ranking import wilson_lower_bound
from chatroom.services import top
from tests.services.test_messages import make_user

pytestmark = pytest.mark.postgres

ROOM_SIZE = 120_000
# Messages one second apart, ending now: the hour holds 3,600, the day 86,400, the week all.
NOW = datetime.now(UTC).replace(microsecond=0)
RANK_INDEX = "ix_messages_room_id_wilson_lb_id"
VOTED_INDEX = "ix_messages_room_id_created_at_voted"


@pytest.fixture
def big_room(make_app: Callable[..., Flask], pg_url: str) -> tuple[int, int]:
    """(room id, reader id): a room of ROOM_SIZE messages, every tenth voted, older ones more."""
    make_app(pg_url)
    reader = make_user("reader")
    with db.engine.begin() as conn:
        # Setup, not the code under test: the app's 5 s statement timeout is for requests.
        conn.execute(text("SET LOCAL statement_timeout = '120s'"))
        room_id = conn.execute(
            text("INSERT INTO rooms (slug, name, seq, created_at) VALUES ('big', 'Big', :n, now()) RETURNING id"),
            {"n": ROOM_SIZE},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq) "
                "SELECT :room, :author, 'message ' || g, CAST(:now AS timestamptz) - (:n - g) * interval '1 second', "
                # Every tenth message is voted; the older, the more upvotes (as in a real room,
                # where old messages had time to gather them), so the rank order runs against time.
                "CASE WHEN g % 10 = 0 THEN 1 + (:n - g) / 4000 ELSE 0 END, "
                "CASE WHEN g % 30 = 0 THEN 1 + g % 4 WHEN g % 10 = 5 THEN 2 ELSE 0 END, g "
                "FROM generate_series(1, :n) AS g"
            ),
            {"room": room_id, "author": reader.id, "now": NOW, "n": ROOM_SIZE},
        )
        pairs = conn.execute(text("SELECT DISTINCT upvotes, downvotes FROM messages WHERE upvotes > 0")).all()
        conn.execute(
            text(
                "UPDATE messages SET wilson_lb = p.lb FROM "
                "(SELECT unnest(CAST(:ups AS int[])) AS up, unnest(CAST(:downs AS int[])) AS down, "
                "unnest(CAST(:lbs AS float8[])) AS lb) AS p "
                "WHERE messages.upvotes = p.up AND messages.downvotes = p.down"
            ),
            {
                "ups": [int(u) for u, _ in pairs],
                "downs": [int(d) for _, d in pairs],
                "lbs": [wilson_lower_bound(int(u), int(d)) for u, d in pairs],
            },
        )
        # Newer traffic in another room, above the big room's ids.
        conn.execute(
            text(
                "INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, seq) "
                "SELECT r.id, :author, 'elsewhere', now(), 0, 0, g FROM rooms r, generate_series(1, 20000) AS g "
                "WHERE r.slug = 'general'"
            ),
            {"author": reader.id},
        )
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE messages"))
    return room_id, reader.id


def expected_ranking(room_id: int, since: datetime | None) -> list[int]:
    """The ranking computed in Python from every message's totals: the formula, then id."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, upvotes, downvotes, created_at FROM messages WHERE room_id = :room"), {"room": room_id}
        ).all()
    inside = [(int(i), up, down) for i, up, down, created in rows if since is None or created >= since]
    return [i for i, _, _ in sorted(inside, key=lambda r: (-wilson_lower_bound(r[1], r[2]), r[0]))]


def captured_page(reader_id: int, window: str, offset: int) -> tuple[top.TopPage, list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "messages" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.session() as s:
            page = top.load_top(s, reader_id, "big", window, 50, offset, now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return page, statements


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def explain(statement: str, parameters: Any) -> dict[str, Any]:
    with db.engine.connect() as conn:
        raw = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar_one()
    document = json.loads(raw) if isinstance(raw, str) else raw
    return dict(document[0]["Plan"])


def rows_read(node: dict[str, Any]) -> int:
    """Rows a scan produced and threw away, over all its loops."""
    loops = int(node.get("Actual Loops", 1))
    return (int(node.get("Actual Rows", 0)) + int(node.get("Rows Removed by Filter", 0))) * loops


def test_top_pages_walk_indexes_and_read_a_small_part_of_the_room(big_room: tuple[int, int]) -> None:
    room_id, reader_id = big_room
    for window in ("hour", "day", "week", "all"):
        span = top.WINDOWS[window]
        ranking = expected_ranking(room_id, None if span is None else NOW - span)
        for offset in (0, 1000):
            page, statements = captured_page(reader_id, window, offset)
            where = f"window {window}, offset {offset}"
            assert [m["id"] for m in page.messages] == ranking[offset : offset + 50], where
            assert page.has_more == (len(ranking) > offset + 50), where
            check_plans(statements, where)


def check_plans(statements: list[tuple[str, Any]], where: str) -> None:
    """No sequential scan of messages, the rank index used, no sort of the room, few rows read."""
    scanned = 0
    used: set[str] = set()
    for statement, parameters in statements:
        plan = explain(statement, parameters)
        for node in plan_nodes(plan):
            kind = node["Node Type"]
            # (The reader's few votes and the authors may be read whole; the room never.)
            on_messages = node.get("Relation Name") == "messages" or "_messages" in node.get("Index Name", "")
            assert not (kind == "Seq Scan" and on_messages), f"{where}: a sequential scan of messages in {statement}"
            if "Index Name" in node:
                used.add(node["Index Name"])
            if kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan") and on_messages:
                scanned += rows_read(node)
            if kind in ("Sort", "Incremental Sort"):
                # A sort only ever orders a window's candidates, never the room.
                assert all(rows_read(child) < ROOM_SIZE // 4 for child in node.get("Plans", [])), where
    # The ranking comes from the rank index, or, when the planner finds it cheaper for a deep
    # page, from the voted messages' index and a sort of those: never from the whole room.
    assert used & {RANK_INDEX, VOTED_INDEX}, where
    assert scanned < ROOM_SIZE // 5, f"{where}: {scanned} rows read for one page"


def test_the_whole_room_ranking_is_one_walk_of_the_rank_index_without_a_sort(big_room: tuple[int, int]) -> None:
    _room_id, reader_id = big_room
    _page, statements = captured_page(reader_id, "all", 0)
    ranking = [s for s in statements if "wilson_lb DESC" in s[0] and "LIMIT" in s[0]]
    assert len(ranking) == 1
    plan = explain(*ranking[0])
    nodes = list(plan_nodes(plan))
    assert {n["Node Type"] for n in nodes}.isdisjoint({"Sort", "Incremental Sort", "Seq Scan"})
    assert [n.get("Index Name") for n in nodes if "Index Name" in n] == [RANK_INDEX]
    assert sum(rows_read(n) for n in nodes if "Index Name" in n) <= 51
