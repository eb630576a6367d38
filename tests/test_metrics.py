"""Prometheus metrics at /metrics: what moves when people chat, vote and make mistakes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Accounts, ack
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_endpoint_speaks_prometheus_text(client: FlaskClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    names = {family.name for family in text_string_to_metric_families(response.get_data(as_text=True))}
    assert {
        "chatroom_connected_sockets",
        "chatroom_messages",
        "chatroom_votes",
        "chatroom_emit_seconds",
        "chatroom_db_query_seconds",
        "chatroom_errors",
    } <= names


def test_messages_votes_emits_and_queries_are_counted(accounts: Accounts) -> None:
    before = {
        "messages": sample("chatroom_messages_total"),
        "votes": sample("chatroom_votes_total"),
        "emits": sample("chatroom_emit_seconds_count", event="data"),
        "vote_emits": sample("chatroom_emit_seconds_count", event="vote"),
        "queries": sample("chatroom_db_query_seconds_count"),
        "batches": sample("chatroom_writer_batch_ops_count"),
        "ops": sample("chatroom_writer_batch_ops_sum"),
        "statements": sample("chatroom_writer_batch_statements_sum"),
    }
    sock = accounts.socket(accounts.signup("alice"))
    sent = ack(sock, "data", {"room": "general", "body": "counted"})
    assert sent["ok"]
    assert ack(sock, "upvote", {"message_id": sent["message"]["id"]})["ok"]
    # A retry with the same client_id stores nothing, so it counts nothing.
    assert ack(sock, "data", {"room": "general", "body": "once", "client_id": "c-1"})["ok"]
    assert ack(sock, "data", {"room": "general", "body": "once", "client_id": "c-1"})["ok"]

    assert sample("chatroom_messages_total") - before["messages"] == 2
    assert sample("chatroom_votes_total") - before["votes"] == 1
    assert sample("chatroom_emit_seconds_count", event="data") - before["emits"] == 2
    assert sample("chatroom_emit_seconds_count", event="vote") - before["vote_emits"] == 1
    assert sample("chatroom_db_query_seconds_count") > before["queries"]
    # Four writes, each its own batch here (the tests' writer is synchronous), each a few statements.
    assert sample("chatroom_writer_batch_ops_count") - before["batches"] == 4
    assert sample("chatroom_writer_batch_ops_sum") - before["ops"] == 4
    assert 4 <= sample("chatroom_writer_batch_statements_sum") - before["statements"] <= 4 * 10


def test_errors_are_counted_by_code_and_transport(accounts: Accounts, client: FlaskClient) -> None:
    invalid = sample("chatroom_errors_total", code="invalid", transport="socket")
    missing = sample("chatroom_errors_total", code="not_found", transport="socket")
    http_missing = sample("chatroom_errors_total", code="not_found", transport="http")
    http_unauthorized = sample("chatroom_errors_total", code="unauthorized", transport="http")

    sock = accounts.socket(accounts.signup("alice"))
    assert ack(sock, "data", {"room": "general", "body": "   "})["error"]["code"] == "invalid"
    assert ack(sock, "upvote", {"message_id": 999999})["error"]["code"] == "not_found"
    assert client.get("/api/nothing-here").status_code == 404
    assert client.get("/api/me").status_code == 401

    assert sample("chatroom_errors_total", code="invalid", transport="socket") - invalid == 1
    assert sample("chatroom_errors_total", code="not_found", transport="socket") - missing == 1
    assert sample("chatroom_errors_total", code="not_found", transport="http") - http_missing == 1
    assert sample("chatroom_errors_total", code="unauthorized", transport="http") - http_unauthorized == 1


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(f"sqlite:///{tmp_path / 'chat.db'}", tmp_path) as proc:
        yield proc


def scrape(url: str) -> dict[str, float]:
    text = requests.get(f"{url}/metrics", timeout=5).text
    return {
        s.name + "".join(f"|{k}={v}" for k, v in sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_connected_sockets_follow_real_connections(server: ServerProcess) -> None:
    assert scrape(server.url)["chatroom_connected_sockets"] == 0
    people = [ChatClient(server.url).signup().connect() for _ in range(3)]
    try:
        assert scrape(server.url)["chatroom_connected_sockets"] == 3
        people[0].sio.disconnect()
        # The client returns once its close is sent; the server notices a moment later.
        deadline = time.monotonic() + 10
        while scrape(server.url)["chatroom_connected_sockets"] != 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scrape(server.url)["chatroom_connected_sockets"] == 2
    finally:
        for person in people:
            person.close()


def test_broadcasts_are_written_once_per_recipient_straight_to_idle_websockets(server: ServerProcess) -> None:
    """Every delivery is counted once; idle websocket clients get the direct write."""
    people = [ChatClient(server.url).signup().connect() for _ in range(3)]
    polling = ChatClient(server.url).signup().connect(transports=["polling"])
    try:
        for person in [*people, polling]:
            assert person.call("join", {"room": "general"})["ok"]
        before = scrape(server.url)
        for n in range(5):
            assert people[0].call("data", {"room": "general", "body": f"m{n}"})["ok"]
        for person in [*people, polling]:
            assert len(person.wait_for("data", 5)) == 5
        after = scrape(server.url)

        def delta(path: str) -> float:
            key = f"chatroom_broadcast_deliveries_total|path={path}"
            return after[key] - before.get(key, 0.0)

        assert delta("direct") + delta("queued") == 5 * 4
        # A long-polling client has no socket to write to: its five go through its queue.
        assert delta("queued") >= 5
        assert delta("direct") > 0
    finally:
        for person in [*people, polling]:
            person.close()


def test_a_serving_process_reports_its_pauses_and_frozen_objects(server: ServerProcess) -> None:
    samples = scrape(server.url)
    assert samples["chatroom_gc_frozen_objects"] > 10_000
    assert samples["chatroom_gc_freezes_total|reason=start"] == 1
    assert samples["chatroom_gc_pause_seconds_count|generation=2"] >= 1


def test_socket_events_are_timed_by_name_from_read_to_answer(server: ServerProcess) -> None:
    before = scrape(server.url)
    person = ChatClient(server.url).signup().connect()
    try:
        assert person.call("join", {"room": "general"})["ok"]
        for n in range(3):
            assert person.call("data", {"room": "general", "body": f"timed {n}"})["ok"]
        assert person.call("join", {"room": "no-such-room"})["ok"] is False
    finally:
        person.close()
    after = scrape(server.url)

    def grew(name: str, event: str) -> float:
        key = f"{name}|event={event}"
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("chatroom_socket_event_seconds_count", "data") == 3
    # A refused event is timed too: its ack is as much an answer as any.
    assert grew("chatroom_socket_event_seconds_count", "join") == 2
    assert grew("chatroom_socket_event_seconds_sum", "data") > 0
