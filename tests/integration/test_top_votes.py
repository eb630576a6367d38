"""Concurrent votes against `python server.py` leave the Top order exact (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from chatroom.ranking import wilson_lower_bound
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

VOTERS = 16
MESSAGES = 8


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'chat.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(database_url, tmp_path) as proc:
        yield proc


def test_votes_from_many_clients_at_once_leave_the_top_order_exact(server: ServerProcess, database_url: str) -> None:
    author = ChatClient(server.url).signup().connect()
    people = [ChatClient(server.url).signup().connect() for _ in range(VOTERS)]
    try:
        assert author.call("join", {"room": "general"})["ok"]
        ids = [author.call("data", {"room": "general", "body": f"m{i}"})["message"]["id"] for i in range(MESSAGES)]
        # Each person's votes: a fixed random plan with ups, downs, switches and removals.
        plans = []
        for index in range(VOTERS):
            rng = random.Random(index)
            plans.append([(rng.choice(["upvote", "downvote"]), rng.choice(ids)) for _ in range(12)])
        barrier = threading.Barrier(VOTERS)
        failures: list[str] = []

        def storm(person: ChatClient, plan: list[tuple[str, int]]) -> None:
            try:
                barrier.wait(timeout=30)
                for event, message_id in plan:
                    answer = person.call(event, {"message_id": message_id}, timeout=30)
                    if not answer["ok"]:
                        failures.append(str(answer))
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(repr(exc))

        threads = [threading.Thread(target=storm, args=(p, plan)) for p, plan in zip(people, plans, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []

        # The final totals, replayed from each plan: a vote is a toggle per person and message.
        final: dict[int, dict[int, int]] = {message_id: {} for message_id in ids}
        for index, plan in enumerate(plans):
            for event, message_id in plan:
                value = 1 if event == "upvote" else -1
                mine = final[message_id]
                mine[index] = 0 if mine.get(index) == value else value
        totals = {
            message_id: (sum(v == 1 for v in votes.values()), sum(v == -1 for v in votes.values()))
            for message_id, votes in final.items()
        }
        expected = sorted(ids, key=lambda message_id: (-wilson_lower_bound(*totals[message_id]), message_id))

        page = author.call("get_top", {"room": "general", "window": "all"})
        assert page["ok"]
        assert [m["id"] for m in page["messages"]] == expected
        assert {m["id"]: (m["upvotes"], m["downvotes"]) for m in page["messages"]} == totals
        assert [m["collapsed"] for m in page["messages"]] == [
            totals[m["id"]][0] - totals[m["id"]][1] <= -5 for m in page["messages"]
        ]

        # What is stored agrees with the votes table, rank included.
        engine = create_engine(database_url)
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT m.id, m.upvotes, m.downvotes, m.wilson_lb, "
                    "(SELECT count(*) FROM votes v WHERE v.message_id = m.id AND v.value = 1), "
                    "(SELECT count(*) FROM votes v WHERE v.message_id = m.id AND v.value = -1) "
                    "FROM messages m"
                )
            ).all()
        engine.dispose()
        for message_id, up, down, rank, counted_up, counted_down in rows:
            assert (up, down) == (counted_up, counted_down) == totals[message_id]
            assert rank == wilson_lower_bound(up, down)
    finally:
        author.close()
        for person in people:
            person.close()
