"""The scenarios: each drives bench/loadgen against one server and returns plain figures."""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from bench import data
from bench.servers import BENCH, LOADGEN_CORE, Server, pinned

LOADGEN = BENCH / "loadgen" / "loadgen.js"
# A step whose p99 passes this, or whose deliveries fall behind, ends the sweep.
STOP_P99_MS = 250.0
FANOUT_P99_MS = 150.0
INGEST_ACK_P99_MS = 50.0
VOTE_ACK_P99_MS = 100.0
# The generator is treated as saturated (figures are lower bounds) above this share of its core.
LOADGEN_SATURATED = 0.9
# Offered deliveries/s for fan-out (message rate = deliveries / N).
FANOUT_LADDER = [
    2_000, 5_000, 10_000, 20_000, 35_000, 50_000, 70_000, 90_000, 110_000, 130_000, 150_000, 175_000,
    200_000, 250_000, 300_000, 400_000, 550_000, 750_000, 1_000_000, 1_400_000, 2_000_000,
]  # fmt: skip
INGEST_LADDER = [100, 250, 500, 750, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6500, 8000]
# The Top scenario reads a page of each window of each join room.
TOP_WINDOWS = ["hour", "day", "week", "all"]
# Seconds each ingest and vote rate is held (the other scenarios keep Settings.step_seconds).
SWEEP_STEP_SECONDS = 10.0
VOTE_LADDER = [25, 50, 100, 200, 400, 700, 1000, 1500, 2000, 2500, 3000, 4000]


@dataclass(frozen=True)
class Settings:
    step_seconds: float = 3.0
    drain_ms: int = 2000
    results: Path = BENCH / "results"
    quick: bool = False


class LoadgenError(RuntimeError):
    pass


def run_loadgen(
    config: dict[str, Any],
    settings: Settings,
    on_line: Callable[[dict[str, Any]], None] | None = None,
    timeout: float = 600.0,
) -> list[dict[str, Any]]:
    """Run the generator on its core; every JSON line it prints, in order."""
    settings.results.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f"loadgen-{config['mode']}-", suffix=".json", dir=settings.results)
    path = Path(name)
    with os.fdopen(handle, "w") as file:
        json.dump(config, file)
    proc = subprocess.Popen(
        pinned(LOADGEN_CORE, ["node", str(LOADGEN), str(path)]),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[dict[str, Any]] = []
    # A generator that hangs (a server that stopped answering) is killed, not waited on.
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        proc.kill()

    watchdog = threading.Timer(timeout, kill)
    watchdog.start()
    assert proc.stdout is not None
    try:
        for raw in proc.stdout:
            line = json.loads(raw)
            lines.append(line)
            if on_line is not None:
                on_line(line)
            if line["type"] == "error":
                raise LoadgenError(line["message"])
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        path.unlink(missing_ok=True)
    if killed.is_set():
        raise LoadgenError(f"load generator killed after {timeout:.0f} s; got {len(lines)} lines")
    if proc.returncode != 0 and not any(line["type"] == "done" for line in lines):
        stderr = proc.stderr.read() if proc.stderr else ""
        raise LoadgenError(f"load generator exited with {proc.returncode}: {stderr[-2000:]}")
    return lines


class CpuMeter:
    """Server CPU share between step_start and step lines of the generator."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.mark: tuple[float, float] = (time.monotonic(), 0.0)

    def __call__(self, line: dict[str, Any]) -> None:
        if line["type"] == "step_start":
            self.mark = (time.monotonic(), self.server.cpu_seconds())
        elif line["type"] == "step":
            wall = time.monotonic() - self.mark[0]
            line["server_cpu"] = round((self.server.cpu_seconds() - self.mark[1]) / wall, 3) if wall > 0 else None
            line["server_rss_mib"] = round(self.server.rss_kib() / 1024, 1)


def _base(server: Server, settings: Settings) -> dict[str, Any]:
    return {
        "url": server.ws_url if server.proto == "raw" else server.url,
        "proto": server.proto,
        "step_seconds": settings.step_seconds,
        "drain_ms": settings.drain_ms,
        "stop_p99_ms": STOP_P99_MS,
        "connect_concurrency": 100,
        "warmup_ms": 500 if settings.quick else 2000,
        "pause_ms": 100 if settings.quick else 300,
        "max_step_seconds": 2 if settings.quick else 8,
        "min_step_ops": 24,
    }


def scrape(server: Server) -> dict[str, float]:
    """The product's /metrics as {name|label=value: sample}; empty for servers without it."""
    if server.name != "product":
        return {}
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    return {
        s.name + "".join(f"|{k}={v}" for k, v in sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def internals(before: dict[str, float], after: dict[str, float]) -> dict[str, Any] | None:
    """What the server's own metrics say happened between two scrapes: collector pauses and
    writer batches (ops and SQL statements per transaction)."""
    if not after:
        return None

    def delta(key: str) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    pauses = {g: delta(f"chatroom_gc_pause_seconds_count|generation={g}") for g in "012"}
    total = sum(pauses.values())
    # The longest pause lies under the smallest bucket bound that holds every pause of the interval.
    bounds = sorted(
        float(key.split("le=")[1].split("|")[0])
        for key in after
        if key.startswith("chatroom_gc_pause_seconds_bucket|") and "|generation=2" in key
    )
    longest = None
    for bound in bounds:
        held = sum(delta(f"chatroom_gc_pause_seconds_bucket|generation={g}|le={_le(bound)}") for g in "012")
        if total and held >= total:
            longest = bound
            break
    batches = delta("chatroom_writer_batch_ops_count")
    return {
        "gc_pauses": {g: int(n) for g, n in pauses.items()},
        "gc_pause_seconds": round(sum(delta(f"chatroom_gc_pause_seconds_sum|generation={g}") for g in "012"), 3),
        "gc_longest_pause_at_most_s": longest,
        "writer_batches": int(batches),
        "ops_per_batch": round(delta("chatroom_writer_batch_ops_sum") / batches, 2) if batches else None,
        "statements_per_batch": round(delta("chatroom_writer_batch_statements_sum") / batches, 2) if batches else None,
    }


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def _long_steps(settings: Settings) -> dict[str, Any]:
    """Write-path sweeps hold each rate long enough that one collector pause cannot decide a step."""
    if settings.quick:
        return {}
    return {"step_seconds": max(settings.step_seconds, SWEEP_STEP_SECONDS), "max_step_seconds": SWEEP_STEP_SECONDS}


def sustained(steps: list[dict[str, Any]], key: str, limit_ms: float, rate: str) -> dict[str, Any] | None:
    """The best step that kept p99 (of `key`) within the limit with nothing left behind."""
    good = []
    for step in steps:
        p99 = step[key]["p99"]
        if p99 is None or p99 > limit_ms or step["ack_failed"]:
            continue
        if key == "latency" and (step["delivered_ratio"] or 0) < 0.99:
            continue
        if key == "ack" and step["acked"] < 0.99 * step["sent"]:
            continue
        good.append(step)
    if not good:
        return None
    best = max(good, key=lambda s: s[rate])
    return {**best, "lower_bound": best["loadgen_cpu"] > LOADGEN_SATURATED}


def fanout(
    server: Server, n: int, cookies: list[str], settings: Settings, ladder: list[int] | None = None
) -> dict[str, Any]:
    """N clients in one room; a few of them send at stepped rates; latency at every receiver."""
    rates = sorted({max(1.0, round(d / n, 2)) for d in (ladder or FANOUT_LADDER)})
    if settings.quick:
        rates = rates[:2]
    config = _base(server, settings) | {
        "mode": "sweep",
        "room": data.FANOUT_ROOM,
        "receivers": n,
        "senders": min(10, n),
        "cookies": cookies[:n],
        "rates": rates,
    }
    lines = run_loadgen(config, settings, CpuMeter(server), timeout=300)
    steps = [line for line in lines if line["type"] == "step"]
    connected = next((line for line in lines if line["type"] == "connected"), {})
    best = sustained(steps, "latency", FANOUT_P99_MS, "deliveries_per_s")
    return {"server": server.name, "n": n, "connected": connected, "steps": steps, "sustained": best}


def ingest(server: Server, cookies: list[str], settings: Settings, senders: int = 200) -> dict[str, Any]:
    """10 listeners, many senders that do not join; persisted messages/s and ack latency."""
    return _ingest_sweep(server, cookies, settings, [data.INGEST_ROOM], 10, senders)


def ingest_rooms(
    server: Server, cookies: list[str], settings: Settings, listeners_per_room: int = 10, senders: int = 200
) -> dict[str, Any]:
    """100 rooms with 10 listeners each, senders spread over them: persisted messages/s and
    ack latency, with every message delivered to its own room's listeners."""
    rooms = data.INGEST_ROOMS[:10] if settings.quick else data.INGEST_ROOMS
    return _ingest_sweep(server, cookies, settings, rooms, listeners_per_room * len(rooms), senders)


def _ingest_sweep(
    server: Server, cookies: list[str], settings: Settings, rooms: list[str], listeners: int, senders: int
) -> dict[str, Any]:
    """Listeners spread over `rooms`, senders that do not join sending to them in turn."""
    seed = server.name == "seed"
    before = sum(data.message_count(server.database, room, seed=seed) for room in rooms)
    config = (
        _base(server, settings)
        | {
            "mode": "sweep",
            "room": rooms[0],
            "receivers": listeners,
            "separate_senders": senders,
            "cookies": cookies[: listeners + senders],
            "rates": INGEST_LADDER[:2] if settings.quick else INGEST_LADDER,
            "stop_on": "ack",
            # The web client sends one with every message; the seed knows none.
            "client_ids": server.name == "product",
        }
        | ({"spread_rooms": rooms} if len(rooms) > 1 else {})
        | _long_steps(settings)
    )
    scraped = scrape(server)
    lines = run_loadgen(config, settings, CpuMeter(server), timeout=900)
    steps = [line for line in lines if line["type"] == "step"]
    after = sum(data.message_count(server.database, room, seed=seed) for room in rooms)
    acked = sum(s["acked"] for s in steps)
    return {
        "server": server.name,
        "rooms": len(rooms),
        "listeners": listeners,
        "steps": steps,
        "sustained": sustained(steps, "ack", INGEST_ACK_P99_MS, "acks_per_s"),
        "persisted_rows": after - before,
        "acked": acked,
        # Every ok ack must stand for a committed row (late acks after the last step included).
        "persisted_check": after - before >= acked,
        "internals": internals(scraped, scrape(server)),
    }


def votes(server: Server, cookies: list[str], settings: Settings, author_id: int, n: int = 1000) -> dict[str, Any]:
    """N joined clients upvote one message (repeats toggle); ack latency and exact totals."""
    seed = server.name == "seed"
    url = server.database
    message_id = data.new_vote_target(url, author_id, seed=seed)
    config = (
        _base(server, settings)
        | {
            "mode": "votes",
            "room": data.VOTES_ROOM,
            "receivers": n,
            "senders": n,
            "cookies": cookies[:n],
            "rates": VOTE_LADDER[1:3] if settings.quick else VOTE_LADDER,
            "message_id": message_id,
            "stop_on": "ack",
            "count_events": '"vote"',
            "acks": True,
        }
        | _long_steps(settings)
    )
    scraped = scrape(server)
    lines = run_loadgen(config, settings, CpuMeter(server), timeout=600)
    steps = [line for line in lines if line["type"] == "step"]
    final = next((line for line in lines if line["type"] == "votes_final"), {})
    time.sleep(1.0)  # acks still in flight when the sweep stopped
    totals = data.vote_totals(url, message_id, seed=seed)
    acked = sum(s["acked"] for s in steps)
    if seed:
        exact = None  # the seed only counts up; nothing to cross-check
    else:
        exact = totals["upvotes"] == totals["vote_rows_up"] and totals["downvotes"] == totals["vote_rows_down"]
    best = sustained(steps, "ack", VOTE_ACK_P99_MS, "acks_per_s")
    return {
        "server": server.name,
        "message_id": message_id,
        "steps": steps,
        "sustained": best,
        "totals": totals,
        "acked": acked,
        "expected_upvotes_seen_by_clients": final.get("expected_upvotes"),
        "exact": exact,
        "internals": internals(scraped, scrape(server)),
    }


def join(server: Server, cookies: list[str], settings: Settings, rooms: list[str]) -> dict[str, Any]:
    """Sequential joins of rooms holding 1k / 100k / 1M messages; ack latency."""
    slow = server.name == "seed"
    config = _base(server, settings) | {
        "mode": "join",
        "cookies": cookies[:1],
        "rooms": rooms,
        # Fetch-all joins take seconds to minutes at 1M rows: a few samples within a budget.
        "joins_per_room": 3 if slow else (30 if settings.quick else 200),
        "room_budget_ms": 20_000 if slow else 10_000,
        "call_timeout_ms": 120_000 if slow else 30_000,
    }
    lines = run_loadgen(config, settings, timeout=400)
    return {"server": server.name, "rooms": [line for line in lines if line["type"] == "join"]}


def top(server: Server, cookies: list[str], settings: Settings, rooms: list[str]) -> dict[str, Any]:
    """Sequential Top pages (`get_top`, 50 messages) of the join rooms, per window; ack latency."""
    config = _base(server, settings) | {
        "mode": "top",
        "cookies": cookies[:1],
        "rooms": rooms,
        "windows": list(TOP_WINDOWS),
        "calls_per_target": 30 if settings.quick else 200,
        "room_budget_ms": 10_000,
        "call_timeout_ms": 30_000,
    }
    lines = run_loadgen(config, settings, timeout=400)
    return {"server": server.name, "pages": [line for line in lines if line["type"] == "top"]}


# The search scenario's query mix (bench/data.py's vocabulary): words in about 3% of the
# messages, words in about 0.02%, three-letter prefixes of the syllable words, and two words.
SEARCH_QUERIES: dict[str, list[str]] = {
    "common word": ["coffee", "meeting", "release", "lunch", "project"],
    "rare word": [data.vocabulary_word(i) for i in (4111, 5333, 6007, 7121, 7919)],
    "prefix": ["kal", "mir", "sat", "bek", "hal"],
    "two words": ["coffee tomorrow", "release deploy", "lunch today", "meeting project", "weekend issue"],
}
SEARCH_PAGE = 20


def search(server: Server, cookies: list[str], settings: Settings, rooms: list[str]) -> dict[str, Any]:
    """Sequential `GET /api/rooms/<slug>/search` (first page of 20) in the join rooms, per kind of
    query; latency from request to parsed answer over one keep-alive HTTP connection."""
    http = requests.Session()
    http.headers["Cookie"] = cookies[0]
    calls = 30 if settings.quick else 200
    budget_s = 10.0
    found: list[dict[str, Any]] = []
    for room in rooms:
        for kind, queries in SEARCH_QUERIES.items():
            matches = [data.search_matches(server.database, room, q) for q in queries]
            latencies: list[float] = []
            failed, first_error, results = 0, None, 0
            deadline = time.monotonic() + budget_s
            for n in range(calls):
                if n and time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                try:
                    answer = http.get(
                        f"{server.url}/api/rooms/{room}/search",
                        params={"q": queries[n % len(queries)], "limit": SEARCH_PAGE},
                        timeout=30,
                    )
                    body = answer.json()
                except (requests.RequestException, ValueError) as exc:
                    failed += 1
                    first_error = first_error or str(exc)[:200]
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                if answer.status_code != 200:
                    failed += 1
                    first_error = first_error or f"{answer.status_code} {answer.text[:150]}"
                    continue
                latencies.append(elapsed)
                results += len(body["messages"])
            found.append(
                {
                    "room": room,
                    "kind": kind,
                    "n": len(latencies),
                    "failed": failed,
                    "first_error": first_error,
                    "p50": _percentile(latencies, 50),
                    "p99": _percentile(latencies, 99),
                    "matches_min": min(matches),
                    "matches_max": max(matches),
                    "results_per_page": round(results / len(latencies), 1) if latencies else None,
                }
            )
    return {"server": server.name, "searches": found}


def _percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile, as the load generator computes it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]


def connect_and_idle(
    server: Server, cookies: list[str], settings: Settings, n: int, hold_s: float | None = None
) -> dict[str, Any]:
    """Time for N clients to connect (and authenticate), then RSS per idle connection, and
    how many were still open after holding them idle for `hold_s` seconds."""
    time.sleep(0.5)
    rss_before = server.rss_kib()
    box: dict[str, Any] = {}

    def on_line(line: dict[str, Any]) -> None:
        if line["type"] == "ready":
            time.sleep(0.5 if settings.quick else 2.0)  # let the server settle before reading RSS
            box["rss_after"] = server.rss_kib()

    config = _base(server, settings) | {
        "mode": "connect",
        "clients": n,
        "cookies": cookies[:n],
        "hold_ms": int(hold_s * 1000) if hold_s is not None else (1000 if settings.quick else 3000),
        "connect_timeout_ms": 120_000,
    }
    lines = run_loadgen(config, settings, on_line, timeout=300 + (hold_s or 0) + n / 20)
    connected = next(line for line in lines if line["type"] == "connected")
    held = next((line for line in lines if line["type"] == "held"), None)
    rss_after = box.get("rss_after", rss_before)
    per_conn = (rss_after - rss_before) / max(1, connected["connected"])
    return {
        "server": server.name,
        "n": n,
        "connect": connected,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "kib_per_connection": round(per_conn, 1),
        "held_s": config["hold_ms"] / 1000,
        "still_open": held["still_open"] if held else None,
    }
