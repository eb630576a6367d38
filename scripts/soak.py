"""Soak: steady load on one server process for a while, watching its memory and descriptors.

    .venv/bin/python scripts/soak.py --minutes 10 --clients 200

Starts `server.py` (gevent) on a fresh PostgreSQL database (TEST_DATABASE_URL's server, or
postgresql://postgres@127.0.0.1:5432/test), connects the clients over websocket, and has each
send a message every --interval seconds and vote now and then, all to 127.0.0.1 only. Every
15 s it samples the server's RSS and open descriptors; at the end it prints a table and the
growth after warm-up (the first 2 minutes). Not part of CI: it takes minutes.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import services
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between one client's messages")
    parser.add_argument("--warmup", type=float, default=2.0, help="minutes before the baseline sample")
    args = parser.parse_args()

    from chatroom.config import normalize_database_url

    server_url = normalize_database_url(os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    database = services.create_database(server_url)
    from chatroom.migrate import upgrade

    upgrade(database)
    workdir = Path(tempfile.mkdtemp(prefix="chatroom-soak-"))
    server = ServerProcess(database, workdir).start()
    assert server.proc is not None
    pid = server.proc.pid
    print(f"soak: server pid {pid} on {server.url}, {args.clients} clients, {args.minutes} min")
    clients = []
    for i in range(args.clients):
        client = ChatClient(server.url, f"soak{i}").signup().connect()
        client.call("join", {"room": "general"})
        clients.append(client)
    stop = threading.Event()
    sent = [0]
    errors = [0]
    error_kinds: dict[str, int] = {}

    def run(client: ChatClient, rng: random.Random) -> None:
        stop.wait(rng.uniform(0, args.interval))
        n = 0
        while not stop.is_set():
            try:
                ack = client.call("data", {"room": "general", "body": f"soak {n} " + "x" * rng.randint(10, 400),
                                           "client_id": f"{client.username}-{n}"})
                sent[0] += 1
                if rng.random() < 0.5 and ack.get("ok"):
                    client.call("upvote", {"message_id": ack["message"]["id"] - rng.randint(0, 20)})
                # Keep the client-side record bounded: the soak watches the server, not us.
                client.received["data"].clear()
                client.received["vote"].clear()
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors[0] += 1
                kind = type(exc).__name__
                error_kinds[kind] = error_kinds.get(kind, 0) + 1
            n += 1
            stop.wait(args.interval)

    threads = [threading.Thread(target=run, args=(c, random.Random(i)), daemon=True) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    samples: list[tuple[float, int, int, int]] = []
    started = time.monotonic()
    end = started + args.minutes * 60
    while time.monotonic() < end:
        samples.append((time.monotonic() - started, rss_kib(pid), fds(pid), sent[0]))
        print(f"  t={samples[-1][0]:6.0f}s rss={samples[-1][1] / 1024:7.1f} MiB fds={samples[-1][2]:5d} sent={sent[0]}")
        time.sleep(15)
    stop.set()
    samples.append((time.monotonic() - started, rss_kib(pid), fds(pid), sent[0]))
    warm = [s for s in samples if s[0] >= args.warmup * 60]
    base, last = warm[0], samples[-1]
    growth = (last[1] - base[1]) / base[1] * 100
    print(f"soak: errors by kind: {error_kinds}")
    print(f"soak: {sent[0]} messages, {errors[0]} errors; after warm-up RSS {base[1] / 1024:.1f} -> "
          f"{last[1] / 1024:.1f} MiB ({growth:+.1f}%), fds {base[2]} -> {last[2]}")
    for client in clients:
        client.close()
    time.sleep(3)
    print(f"soak: fds after every client left: {fds(pid)}")
    server.kill()
    services.drop_database(server_url, database)
    return 0 if growth < 10 and last[2] <= base[2] + 5 else 1


if __name__ == "__main__":
    sys.exit(main())
