"""Soak: steady load on one server process for a while, watching its memory and descriptors.

    .venv/bin/python scripts/soak.py --minutes 10 --clients 200 [--attack]

Starts `server.py` (gevent) on a fresh PostgreSQL database (TEST_DATABASE_URL's server, or
postgresql://postgres@127.0.0.1:5432/test), connects the clients over websocket, and has each
send a message every --interval seconds and vote now and then, all to 127.0.0.1 only. Every
15 s it samples the server's RSS and open descriptors; at the end it prints a table and the
growth after warm-up (the first 2 minutes), and the normal clients' ack times (p50, p99).

With --attack, a second process runs a mixed attack load beside them, all to 127.0.0.1 and
each loop bounded in count and time: oversized fragmented messages, readers that ask for
history pages and never read, sockets pipelining thousands of joins, and bad frames. The
per-address connection cap is switched off for the soak, since every client shares one
address; every other limit is on, as on a public server. Not part of CI: it takes minutes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import PASSWORD
from tests.support import services
from tests.support.procs import ServerProcess


class SoakClient:
    """A person with a cookie and a bare Socket.IO connection: no replica, no catch-up, no
    reconnection, and nothing kept of what arrives. The soak watches the server; a richer
    client (chatroom_client, which re-joins on every gap) would add its own load to the
    200-client process, and the figures would then measure that process."""

    def __init__(self, base_url: str, username: str) -> None:
        import requests
        import socketio

        self.base_url = base_url
        self.username = username
        self.http = requests.Session()
        self.sio = socketio.Client(reconnection=False)

    def signup(self) -> SoakClient:
        response = self.http.post(
            f"{self.base_url}/api/signup",
            json={"email": f"{self.username}@example.com", "username": self.username, "password": PASSWORD},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return self

    def connect(self) -> SoakClient:
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.sio.connect(self.base_url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
        return self

    def call(self, event: str, payload: Any, timeout: float = 10) -> Any:
        return self.sio.call(event, payload, timeout=timeout)

    def close(self) -> None:
        if self.sio.connected:
            threading.Thread(target=self.sio.disconnect, daemon=True).start()
        self.http.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


ATTACKS = ("oversize", "slow_reader", "pipelined_joins", "bad_frames")


def attack(url: str, cookie: str, seconds: float, counts: dict[str, int], kinds: tuple[str, ...] = ATTACKS) -> None:
    """The mixed attack load (see the module docstring), for `seconds` at most."""
    import socket as socketlib

    import websocket

    ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    end = time.monotonic() + seconds
    stop = threading.Event()

    def connect(**options: object) -> websocket.WebSocket:
        ws = websocket.create_connection(ws_url, cookie=cookie, timeout=10, **options)
        ws.recv()
        ws.send("40")
        ws.recv()
        return ws

    def bounded(kind: str, body: object, pause: float) -> None:
        # One attacker: repeats `body` until the soak ends, counting rounds and refusals.
        while time.monotonic() < end and not stop.is_set():
            try:
                body()  # type: ignore[operator]
                counts[kind] = counts.get(kind, 0) + 1
            except Exception:  # noqa: BLE001 - being cut off is the expected answer
                counts[kind + "_cut"] = counts.get(kind + "_cut", 0) + 1
            stop.wait(pause)

    def oversize() -> None:
        ws = connect()
        try:
            ws.send_frame(websocket.ABNF.create_frame("4" + "a" * 65536, websocket.ABNF.OPCODE_TEXT, fin=0))
            for _ in range(32):  # at most 2 MB more of one never-finished message
                ws.send_frame(websocket.ABNF.create_frame("a" * 65536, websocket.ABNF.OPCODE_CONT, fin=0))
        finally:
            ws.sock.close()  # type: ignore[union-attr]

    def slow_reader() -> None:
        ws = connect(sockopt=[(socketlib.SOL_SOCKET, socketlib.SO_RCVBUF, 4096)])
        try:
            for n in range(200):
                ws.send(f'42{n}["get_previous_messages",{{"room":"general","limit":100}}]')
            time.sleep(5)
        finally:
            ws.sock.close()  # type: ignore[union-attr]

    def pipelined_joins() -> None:
        ws = connect()
        try:
            total = 2000
            for n in range(total):
                ws.send(f'42{n}["join",{{"room":"general"}}]')
            answered = 0
            deadline = time.monotonic() + 60
            while answered < total and time.monotonic() < deadline:
                frame = ws.recv()
                if frame == "2":
                    ws.send("3")
                elif frame.startswith("43"):
                    answered += 1
        finally:
            ws.sock.close()  # type: ignore[union-attr]

    def bad_frames() -> None:
        ws = connect()
        try:
            for n in range(100):
                ws.send(f'42{n}["join",' + ("[" * 2000 if n % 2 else "9" * 5000))
                ws.recv()
            ws.send('42["join",')  # no ack id: closed
            ws.recv()
        finally:
            ws.sock.close()  # type: ignore[union-attr]

    attackers = [
        threading.Thread(target=bounded, args=("oversize", oversize, 1.0), daemon=True),
        threading.Thread(target=bounded, args=("pipelined_joins", pipelined_joins, 2.0), daemon=True),
        threading.Thread(target=bounded, args=("bad_frames", bad_frames, 0.5), daemon=True),
    ]
    attackers += [
        threading.Thread(target=bounded, args=("slow_reader", slow_reader, 1.0), daemon=True) for _ in range(4)
    ]
    attackers = [t for t in attackers if t._args[0] in kinds]  # type: ignore[attr-defined]
    for t in attackers:
        t.start()
    for t in attackers:
        t.join(timeout=max(0.0, end - time.monotonic()) + 90)
    stop.set()


def run_attack(
    url: str, cookie: str, seconds: float, kinds: tuple[str, ...], results: multiprocessing.Queue[dict[str, int]]
) -> None:
    # The attacker shares the normal clients' core (see --no-pin). At the lowest priority it
    # takes only what they leave, so their ack times measure the server, not this process.
    os.nice(19)
    counts: dict[str, int] = {}
    attack(url, cookie, seconds, counts, kinds)
    results.put(counts)


def server_event_times(url: str, events: tuple[str, ...] = ("data", "upvote", "join")) -> str:
    """Count and p99 bucket of `chatroom_socket_event_seconds` per event, from /metrics: the
    server's share of an ack, to set beside what the clients measured."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    buckets: dict[str, list[tuple[float, float]]] = {}
    for family in text_string_to_metric_families(requests.get(f"{url}/metrics", timeout=10).text):
        for sample in family.samples:
            if sample.name == "chatroom_socket_event_seconds_bucket" and sample.labels["event"] in events:
                bound = float(sample.labels["le"])
                buckets.setdefault(sample.labels["event"], []).append((bound, sample.value))
    parts = []
    for event in events:
        rows = sorted(buckets.get(event, []))
        total = rows[-1][1] if rows else 0
        p99 = next((bound for bound, count in rows if count >= 0.99 * total), float("nan")) if total else float("nan")
        parts.append(f"{event} {total:.0f} events, p99 <= {p99 * 1000:g} ms")
    return "; ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between one client's messages")
    parser.add_argument(
        "--rooms",
        type=int,
        default=10,
        help="rooms the clients are spread over (general and --rooms - 1 more). One room of 200 would have "
        "the 200 threaded Python clients parse 4,000 broadcasts a second, and the soak would measure itself.",
    )
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="do not pin the server and the load to separate cores"
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="minutes before the baseline sample")
    parser.add_argument("--attack", action="store_true", help="run the mixed attack load beside the clients")
    parser.add_argument("--attacks", default=",".join(ATTACKS), help="which attacks, comma-separated")
    args = parser.parse_args()

    from chatroom.config import normalize_database_url

    server_url = normalize_database_url(
        os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    database = services.create_database(server_url)
    from chatroom.migrate import upgrade

    upgrade(database)
    workdir = Path(tempfile.mkdtemp(prefix="chatroom-soak-"))
    server = ServerProcess(database, workdir, CHATROOM_MAX_CONNECTIONS_PER_ADDRESS="0").start()
    # Accounts are made with the limits off (one address may sign up only 20 an hour), then
    # the server restarts with every rate limit on, as a public server runs: the attack must
    # meet the limits it would meet in production. Sessions live in the database and the
    # secret key is kept, so the cookies stay valid across the restart.
    clients = [SoakClient(server.url, f"soak{i}").signup() for i in range(args.clients)]
    mark = SoakClient(server.url, "attacker").signup()
    rooms = ["general"]
    for r in range(1, args.rooms):
        response = clients[r].http.post(f"{server.url}/api/rooms", json={"name": f"Soak {r}"}, timeout=10)
        assert response.status_code == 201, response.text
        rooms.append(response.json()["room"]["slug"])
    server.env["CHATROOM_RATE_LIMITS"] = "on"
    server.restart()
    assert server.proc is not None
    pid = server.proc.pid
    if args.pin and len(os.sched_getaffinity(0)) >= 2:
        # As the benchmark does: the server on one core, this load (clients and attacker,
        # which inherits it) on another, so the soak measures the server, not its own load.
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(pid, {cores[-1]})
        os.sched_setaffinity(0, set(cores[:-1]))
    print(f"soak: server pid {pid} on {server.url}, {args.clients} clients, {args.minutes} min")
    home = {client.username: rooms[i % len(rooms)] for i, client in enumerate(clients)}
    for client in clients:
        client.connect()
        client.call("join", {"room": home[client.username]})
    stop = threading.Event()
    ack_ms: list[float] = []
    sent = [0]
    errors = [0]
    error_kinds: dict[str, int] = {}

    def count_error(kind: str) -> None:
        errors[0] += 1
        error_kinds[kind] = error_kinds.get(kind, 0) + 1

    def accepted(ack: Any) -> bool:
        # An error ack is an error too: a soak whose sends all fail measures nothing.
        if isinstance(ack, dict) and ack.get("ok"):
            return True
        code = ack.get("error", {}).get("code") if isinstance(ack, dict) else None
        count_error(f"ack {code}")
        return False

    def run(client: SoakClient, rng: random.Random) -> None:
        stop.wait(rng.uniform(0, args.interval))
        n = 0
        while not stop.is_set():
            try:
                started = time.perf_counter()
                ack = client.call(
                    "data",
                    {
                        "room": home[client.username],
                        "body": f"soak {n} " + "x" * rng.randint(10, 400),
                        "client_id": f"{client.username}-{n}",
                    },
                )
                ack_ms.append((time.perf_counter() - started) * 1000)
                ok = accepted(ack)
                sent[0] += ok
                if ok and rng.random() < 0.5:
                    started = time.perf_counter()
                    target = max(1, ack["message"]["id"] - rng.randint(0, 20))
                    vote = client.call("upvote", {"message_id": target})
                    ack_ms.append((time.perf_counter() - started) * 1000)
                    accepted(vote)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                count_error(type(exc).__name__)
            n += 1
            stop.wait(args.interval)

    threads = [threading.Thread(target=run, args=(c, random.Random(i)), daemon=True) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    attacker = None
    attack_results: multiprocessing.Queue[dict[str, int]] = multiprocessing.Queue()
    if args.attack:
        cookie = "; ".join(f"{k}={v}" for k, v in mark.http.cookies.items())
        attacker = multiprocessing.Process(
            target=run_attack,
            args=(server.url, cookie, args.minutes * 60, tuple(args.attacks.split(",")), attack_results),
            daemon=True,
        )
        attacker.start()
    samples: list[tuple[float, int, int, int]] = []
    started = time.monotonic()
    end = started + args.minutes * 60
    seen = 0
    while time.monotonic() < end:
        samples.append((time.monotonic() - started, rss_kib(pid), fds(pid), sent[0]))
        window = ack_ms[seen:]
        seen = len(ack_ms)
        print(
            f"  t={samples[-1][0]:6.0f}s rss={samples[-1][1] / 1024:7.1f} MiB fds={samples[-1][2]:5d} sent={sent[0]}"
            f" acks p50={percentile(window, 0.5):6.1f} ms p99={percentile(window, 0.99):6.1f} ms"
            f" load={load_average()}",
            flush=True,
        )
        time.sleep(15)
    stop.set()
    if attacker is not None:
        attacker.join(timeout=120)
        if not attack_results.empty():
            print(f"soak: attack rounds: {attack_results.get()}")
        if attacker.is_alive():
            attacker.terminate()
    warm_acks = ack_ms[len(ack_ms) // 10 :]
    print(
        f"soak: normal clients' acks: {len(ack_ms)}, p50 {percentile(warm_acks, 0.5):.1f} ms, "
        f"p99 {percentile(warm_acks, 0.99):.1f} ms, max {max(ack_ms, default=0):.1f} ms (first 10% left out)"
    )
    print(f"soak: server-side event times (read to answer, whole run): {server_event_times(server.url)}")
    samples.append((time.monotonic() - started, rss_kib(pid), fds(pid), sent[0]))
    warm = [s for s in samples if s[0] >= args.warmup * 60]
    base, last = warm[0], samples[-1]
    growth = (last[1] - base[1]) / base[1] * 100
    print(f"soak: errors by kind: {error_kinds}")
    print(
        f"soak: {sent[0]} messages, {errors[0]} errors; after warm-up RSS {base[1] / 1024:.1f} -> "
        f"{last[1] / 1024:.1f} MiB ({growth:+.1f}%), fds {base[2]} -> {last[2]}"
    )
    for client in clients:
        client.close()
    time.sleep(3)
    print(f"soak: fds after every client left: {fds(pid)}")
    server.kill()
    services.drop_database(server_url, database)
    return 0 if growth < 10 and last[2] <= base[2] + 5 else 1


if __name__ == "__main__":
    sys.exit(main())
