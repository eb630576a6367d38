"""Exactly once under faults: SIGKILLed servers, a restarted Redis, clients that reconnect.

20 clients on two server processes (one PostgreSQL, one Redis) send 1,000 messages with
client ids and vote at random. Meanwhile the servers are killed with SIGKILL three times and
Redis is restarted once. Clients resend what was not acknowledged (same client_id) and catch
up with `join {after_seq}`. At the end every message is stored once, every client holds every
message once, and every client's vote totals equal the database's.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from chatroom_client import ChatroomError, Client, TransportError, UnavailableError
from tests.conftest import PASSWORD
from tests.support.procs import ServerProcess
from tests.support.services import free_port, wait_for_redis

CLIENTS = 20
MESSAGES = 1000
DEADLINE_SECONDS = 240

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


class RestartableRedis:
    """A Redis of our own on a fixed port, so it can be killed and brought back."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            pytest.fail("redis-server is needed (apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
        )
        wait_for_redis(self.url)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class ChaosClient:
    """One person: sends their share with client ids and votes, through the client library,
    which keeps the replica of the room, reconnects and catches up by itself."""

    def __init__(self, server: ServerProcess, index: int, plan: list[str], rng: random.Random) -> None:
        self.index = index
        self.rng = rng
        self.username = f"chaos{index}"
        self.outbox = [(f"{self.username}-{n}", body) for n, body in enumerate(plan)]
        self.acked: dict[str, int] = {}
        self.votes_cast = 0
        self.errors: list[str] = []
        self.client = Client(server.url, timeout=5, retry_for=10, reconnect_delay=0.2, reconnect_delay_max=1.0)
        self.client.signup(f"{self.username}@example.com", self.username, PASSWORD)
        self.client.join("general")
        self.timeline = self.client.timeline("general")

    def step(self) -> None:
        """One unit of work; what fails is tried again on a later step (a send with its client_id)."""
        if self.outbox and self.rng.random() < 0.85:
            client_id, body = self.outbox[0]
            try:
                message = self.client.send("general", body, client_id=client_id)
            except (TransportError, UnavailableError):
                return
            except ChatroomError as error:
                self.errors.append(f"data: {error}")
                return
            self.acked[client_id] = message["id"]
            self.outbox.pop(0)
            return
        held = self.timeline.ids()
        if held:
            vote = self.client.upvote if self.rng.random() < 0.5 else self.client.downvote
            try:
                vote(self.rng.choice(held))
                self.votes_cast += 1
            except ChatroomError:
                # A lost vote ack is fine: the totals arrive by seq.
                time.sleep(0.05)

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def cluster(pg_url: str, tmp_path: Path) -> Iterator[tuple[list[ServerProcess], RestartableRedis]]:
    redis_server = RestartableRedis(tmp_path)
    redis_server.start()
    prefix = f"chaos-{uuid.uuid4().hex[:6]}"
    servers = [
        ServerProcess(pg_url, tmp_path, REDIS_URL=redis_server.url, CHATROOM_REDIS_PREFIX=prefix) for _ in range(2)
    ]
    try:
        for server in servers:
            server.start()
        yield servers, redis_server
    finally:
        for server in servers:
            server.kill(signal.SIGKILL)
        redis_server.stop()


def test_exactly_once_through_kills_and_a_redis_restart(
    cluster: tuple[list[ServerProcess], RestartableRedis], pg_url: str
) -> None:
    servers, redis_server = cluster
    share = MESSAGES // CLIENTS
    clients = [
        ChaosClient(servers[i % 2], i, [f"message {n} from client {i}" for n in range(share)], random.Random(i))
        for i in range(CLIENTS)
    ]
    stop = threading.Event()

    def run(client: ChaosClient) -> None:
        while not stop.is_set() and (client.outbox or client.votes_cast < 30):
            client.step()

    workers = [threading.Thread(target=run, args=(c,), daemon=True) for c in clients]
    for w in workers:
        w.start()

    def acked() -> int:
        return sum(len(c.acked) for c in clients)

    faults = [
        (150, "kill server 0", lambda: servers[0].restart()),
        (350, "kill server 1", lambda: servers[1].restart()),
        (550, "restart redis", lambda: (redis_server.stop(), time.sleep(0.5), redis_server.start())),
        (750, "kill server 0", lambda: servers[0].restart()),
    ]
    deadline = time.monotonic() + DEADLINE_SECONDS
    injected: list[str] = []
    for threshold, name, fault in faults:
        while acked() < threshold and time.monotonic() < deadline:
            time.sleep(0.05)
        fault()
        injected.append(f"{name} at {acked()} acked")
    for w in workers:
        w.join(timeout=max(1.0, deadline - time.monotonic()))
    stop.set()
    assert acked() == MESSAGES, f"only {acked()} of {MESSAGES} acknowledged before the deadline; faults: {injected}"

    # Quiesced: everyone catches up once more from their own watermark (`after_seq`).
    for client in clients:
        try:
            assert not client.client.join("general").reset
        except ChatroomError as error:
            pytest.fail(f"{client.username} could not re-join: {error}")

    with psycopg.connect(pg_url.replace("+psycopg", "")) as conn:
        stored = conn.execute(
            "SELECT m.id, u.username, m.client_id, m.upvotes, m.downvotes, m.seq FROM messages m "
            "JOIN users u ON u.id = m.author_id"
        ).fetchall()
        room_seq = conn.execute("SELECT seq FROM rooms WHERE slug = 'general'").fetchone()
        vote_rows = conn.execute("SELECT message_id, value FROM votes").fetchall()
    assert room_seq is not None

    # Every message stored exactly once.
    assert len(stored) == MESSAGES
    assert sorted(client_id for _, _, client_id, _, _, _ in stored) == sorted(
        f"chaos{i}-{n}" for i in range(CLIENTS) for n in range(share)
    )
    # Totals on the rows equal the votes table.
    up: dict[int, int] = {}
    down: dict[int, int] = {}
    for message_id, value in vote_rows:
        (up if value == 1 else down)[message_id] = (up if value == 1 else down).get(message_id, 0) + 1
    database = {row[0]: (row[3], row[4], row[5]) for row in stored}
    assert all(database[m][:2] == (up.get(m, 0), down.get(m, 0)) for m in database)

    for client in clients:
        # Every client holds every message exactly once, with the database's totals.
        held = {m: (v["upvotes"], v["downvotes"], v["seq"]) for m, v in client.timeline.messages.items()}
        assert held == database, f"{client.username} differs from the database"
        assert client.timeline.watermark == room_seq[0]
        assert client.errors == []
        # Each acked client id maps to the one stored row.
        assert {database_id for database_id in client.acked.values()} <= set(database)
    votes_total = sum(c.votes_cast for c in clients)
    print(
        f"\nchaos: {len(stored)} messages stored once, {len(clients)} clients in agreement, "
        f"{votes_total} votes acked, room seq {room_seq[0]}, faults: {injected}"
    )
    for client in clients:
        client.close()
