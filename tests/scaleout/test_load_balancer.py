"""nginx, configured as shipped in deploy/nginx, in front of two server processes.

Stickiness is nginx `ip_hash`: Socket.IO's long-polling sessions span several requests
that must all reach one process. Clients here leave from different loopback addresses
(127.0.N.1) so that ip_hash spreads them over both processes, as it spreads people.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.scaleout.conftest import Nginx, _SourceAdapter, client_from, connected_sockets, until
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SOURCES = [f"127.0.{n}.1" for n in range(1, 9)]


@pytest.fixture
def balanced(
    start_servers: Callable[..., list[ServerProcess]], tmp_path: Path
) -> Iterator[tuple[Nginx, list[ServerProcess]]]:
    servers = start_servers(2)
    nginx = Nginx(tmp_path / "nginx", [f"127.0.0.1:{s.port}" for s in servers]).start()
    yield nginx, servers
    nginx.stop()


def people(nginx: Nginx, transports: list[str], *, reconnection: bool = False) -> list[ChatClient]:
    crowd = []
    for source in SOURCES:
        person = client_from(nginx.url, source, reconnection=reconnection).signup()
        person.connect(transports)
        assert person.call("join", {"room": "general"})["ok"]
        crowd.append(person)
    return crowd


def close_all(crowd: list[ChatClient]) -> None:
    for person in crowd:
        person.sio.reconnection = False
        person.close()


@pytest.mark.parametrize("transports", [["websocket"], ["polling"], ["polling", "websocket"]])
def test_clients_through_nginx_reach_each_other_across_processes(
    balanced: tuple[Nginx, list[ServerProcess]], transports: list[str]
) -> None:
    nginx, servers = balanced
    crowd = people(nginx, transports)
    try:
        # ip_hash spread the clients: both processes hold some of them.
        assert [connected_sockets(s) for s in servers] != [0, len(SOURCES)]
        assert all(connected_sockets(s) > 0 for s in servers)
        assert sum(connected_sockets(s) for s in servers) == len(SOURCES)

        sent = [crowd[i].call("data", {"room": "general", "body": f"hello {i}", "client_id": f"c{i}"}) for i in (0, 5)]
        assert all(s["ok"] for s in sent)
        vote = crowd[3].call("upvote", {"message_id": sent[0]["message"]["id"]})
        assert vote["ok"]
        for person in crowd:
            assert [m["id"] for m in person.wait_for("data", 2)] == [s["message"]["id"] for s in sent]
            totals = person.wait_for("vote", 1)
            assert [(v["message_id"], v["upvotes"], v["score"]) for v in totals] == [(sent[0]["message"]["id"], 1, 1)]
    finally:
        close_all(crowd)


def polling_round(nginx: Nginx, source: str) -> list[int]:
    """An Engine.IO long-polling session by hand: the handshake, then two more requests."""
    http = requests.Session()
    http.mount("http://", _SourceAdapter(source))
    base = f"{nginx.url}/socket.io/?EIO=4&transport=polling"
    opened = http.get(base, timeout=10)
    assert opened.status_code == 200, opened.text
    sid = json.loads(opened.text[1:])["sid"]
    # Each request must reach the process that issued the sid: a Socket.IO connect packet,
    # then the poll that fetches its answer (a refusal, since no one logged in).
    sent = http.post(f"{base}&sid={sid}", data="40", headers={"Content-Type": "text/plain"}, timeout=10)
    statuses = [sent.status_code]
    if sent.status_code == 200:
        answer = http.get(f"{base}&sid={sid}", timeout=10)
        statuses.append(answer.status_code)
        assert answer.text.startswith("44"), answer.text
    return statuses


def test_long_polling_needs_the_ip_hash_stickiness(balanced: tuple[Nginx, list[ServerProcess]], tmp_path: Path) -> None:
    nginx, servers = balanced
    assert all(polling_round(nginx, source) == [200, 200] for source in SOURCES)
    # The control: the same config without ip_hash (round robin) breaks the same sessions.
    round_robin = Nginx(tmp_path / "round-robin", [f"127.0.0.1:{s.port}" for s in servers], sticky=False).start()
    try:
        rounds = [polling_round(round_robin, source) for source in SOURCES[:2]]
    finally:
        round_robin.stop()
    assert all(400 in statuses for statuses in rounds), rounds


def test_nginx_serves_the_client_and_probes_and_hides_metrics(balanced: tuple[Nginx, list[ServerProcess]]) -> None:
    nginx, _ = balanced
    page = requests.get(f"{nginx.url}/login", timeout=5)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert requests.get(f"{nginx.url}/healthz", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{nginx.url}/readyz", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{nginx.url}/api/me", timeout=5).json()["error"]["code"] == "unauthorized"
    assert requests.get(f"{nginx.url}/metrics", timeout=5).status_code == 404


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_process_dies_and_its_clients_reconnect_through_nginx_losing_nothing(
    balanced: tuple[Nginx, list[ServerProcess]], sig: signal.Signals
) -> None:
    nginx, servers = balanced
    crowd = people(nginx, ["websocket"], reconnection=True)

    def drops() -> dict[str, int]:
        return {p.username: len(p.drops()) for p in crowd}

    try:
        acked: list[dict[str, Any]] = []
        writer = crowd[0]
        for i in range(5):
            acked.append(
                writer.call("data", {"room": "general", "body": f"before {i}", "client_id": f"b{i}"})["message"]
            )
        for person in crowd:
            person.wait_for("data", 5)
        watermark = {p.username: max(m["seq"] for m in p.received["data"]) for p in crowd}

        counts = [connected_sockets(s) for s in servers]
        victim = servers[0] if counts[0] >= counts[1] else servers[1]
        survivor = servers[1] if victim is servers[0] else servers[0]
        victim.kill(sig)
        assert victim.proc is not None
        assert victim.proc.poll() is not None
        until(lambda: sum(drops().values()) == counts[servers.index(victim)], "the victim's clients notice")
        dropped = [p for p in crowd if drops()[p.username]]
        assert dropped, "no client was on the killed process"

        # Everyone, dropped or not, keeps writing through nginx; the survivor answers all.
        until(lambda: all(p.sio.connected for p in crowd), "every client is connected again")
        assert connected_sockets(survivor) == len(crowd)
        for i, person in enumerate(crowd[:3]):
            answer = person.call("data", {"room": "general", "body": f"after {i}", "client_id": f"a{i}"})
            assert answer["ok"], answer
            acked.append(answer["message"])

        for person in crowd:
            catch_up = person.call("join", {"room": "general", "after_seq": watermark[person.username]})
            assert catch_up["ok"]
            assert catch_up["reset"] is False
            held = {m["id"] for m in person.received["data"]} | {m["id"] for m in catch_up["messages"]}
            missing = {m["id"] for m in acked} - held
            assert not missing, f"{person.username} lost acknowledged messages {missing}"
        page = requests.get(f"{nginx.url}/healthz", timeout=5)
        assert page.status_code == 200
    finally:
        close_all(crowd)
