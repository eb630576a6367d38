"""py-spy the product under fan-out and ingest, and boil the stacks down to a short summary."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from bench import data, scenarios
from bench.servers import Server

SAMPLE_RATE = 200
# (label, regex on a whole stack): the share of samples whose stack passes through it.
GROUPS = [
    ("sending on sockets (gevent sendall and below)", r"sendall \("),
    ("… of which getsockopt(SO_SNDBUF) in gevent's sendall", r"getsockopt \("),
    ("python-socketio emit (fan-out to a room)", r"emit \([^)]*socketio/(base_)?server\.py"),
    ("engine.io per-client send queue", r"send_packet \([^)]*engineio/|send \([^)]*engineio/socket\.py"),
    ("websocket frames (simple-websocket / wsproto)", r"simple_websocket|wsproto"),
    ("SQLAlchemy (ORM and Core)", r"sqlalchemy/"),
    ("psycopg (driver, waiting included)", r"psycopg/"),
    ("JSON encode/decode", r"json/(encoder|decoder)\.py|dumps \(|loads \("),
    ("pydantic validation", r"pydantic"),
    ("Flask request context, session cookie, login", r"flask/ctx\.py|flask/sessions\.py|flask_login/"),
    ("rate limits", r"ratelimits\.py|limits/"),
    ("session lookup on connect (load_session_user)", r"load_session_user|resume_session"),
    ("itsdangerous cookie signature", r"itsdangerous/"),
]


def _py_spy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def summarize(collapsed: Path, duration: float) -> dict[str, Any]:
    """Inclusive shares for GROUPS and the top functions by own time, from py-spy raw output."""
    stacks: list[tuple[str, int]] = []
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack, int(count)))
    total = sum(c for _, c in stacks) or 1
    groups = []
    for label, pattern in GROUPS:
        rx = re.compile(pattern)
        share = 100.0 * sum(c for s, c in stacks if rx.search(s)) / total
        if share >= 0.5:
            groups.append((label, share))
    own: Counter[str] = Counter()
    for stack, count in stacks:
        leaf = stack.rsplit(";", 1)[-1]
        leaf = re.sub(r":\d+\)$", ")", leaf)
        leaf = re.sub(r"\(/[^)]*/(site-packages|lib/python3\.\d+|main)/", "(", leaf)
        own[leaf] += count
    top = [(fn, 100.0 * c / total) for fn, c in own.most_common(15)]
    busy = 100.0 * total / (duration * SAMPLE_RATE)
    return {"samples": total, "busy_share": busy, "groups": groups, "top": top}


def _record(server: Server, out: Path, duration: float) -> subprocess.Popen[bytes] | None:
    spy = _py_spy()
    if spy is None:
        return None
    return subprocess.Popen(
        [spy, "record", "--pid", str(server.pid), "--duration", str(int(duration)), "--rate", str(SAMPLE_RATE),
         "--format", "raw", "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def _peak_rate(results: list[dict[str, Any]], default: float) -> float:
    """The highest rate the product's sweep reached: the server is saturated there, so the
    profile shows where a core's worth of time goes."""
    for r in results:
        if r.get("server") == "product" and r.get("steps"):
            return float(r["steps"][-1]["offered_rate"])
    return default


def profile_product(
    server: Server,
    cookies: list[str],
    settings: scenarios.Settings,
    fanout_results: list[dict[str, Any]],
    ingest_results: list[dict[str, Any]],
    which: tuple[str, ...] = ("fanout", "ingest"),
    votes_results: list[dict[str, Any]] | None = None,
    author_id: int | None = None,
) -> dict[str, Any]:
    """Profile fan-out (N=1000), ingest and votes (1,000 voters) at the highest rate of this
    run's sweeps, and a connect storm of 1,000 clients."""
    if _py_spy() is None:
        return {}
    duration = 6.0 if settings.quick else 15.0
    fan_n = 1000 if not settings.quick else 50
    fan_rate = _peak_rate([r for r in fanout_results if r.get("n") == fan_n], 60.0)
    ingest_rate = _peak_rate(ingest_results, 1000.0)
    votes_rate = _peak_rate(votes_results or [], 100.0)
    out: dict[str, Any] = {}
    fixed = scenarios.Settings(step_seconds=duration + 2, drain_ms=2000, results=settings.results, quick=settings.quick)
    base = scenarios._base(server, fixed)
    runs = [
        (
            "connect",
            f"connect storm: {fan_n} clients connecting with their session cookies, 100 at a time",
            base | {"mode": "connect", "clients": fan_n, "cookies": cookies[:fan_n], "hold_ms": int(duration * 1000)},
        ),
        (
            "fanout",
            f"fan-out, N={fan_n}, {fan_rate:g} msgs/s ({fan_rate * fan_n:,.0f} deliveries/s)",
            base | {"mode": "sweep", "room": data.FANOUT_ROOM, "receivers": fan_n, "senders": 10,
                    "cookies": cookies[:fan_n], "rates": [fan_rate]},
        ),
        (
            "ingest",
            f"ingest, 10 listeners + 200 senders, {ingest_rate:g} msgs/s",
            base | {"mode": "sweep", "room": data.INGEST_ROOM, "receivers": 10, "separate_senders": 200,
                    "cookies": cookies[:210], "rates": [ingest_rate], "stop_on": "ack"},
        ),
    ]  # fmt: skip
    if "votes" in which and author_id is not None:
        voters = len(cookies) if settings.quick else min(len(cookies), 1000)
        runs.append((
            "votes",
            f"votes, {voters} clients in the room voting on one message, {votes_rate:g} votes/s",
            base | {"mode": "votes", "room": data.VOTES_ROOM, "receivers": voters, "senders": voters,
                    "cookies": cookies[:voters], "rates": [votes_rate], "stop_on": "ack",
                    "count_events": '"vote"', "acks": True,
                    "message_id": data.new_vote_target(server.database, author_id)},
        ))  # fmt: skip
    for index, (kind, name, config) in enumerate(runs):
        if kind not in which:
            continue
        server.start()
        try:
            target = settings.results / f"profile-{index}.txt"
            lines: list[dict[str, Any]] = []
            worker = threading.Thread(target=scenarios.run_loadgen, args=(config, fixed, lines.append))
            worker.start()
            # A connect storm is sampled from the start; the others once clients are sending.
            while (
                kind != "connect" and worker.is_alive() and not any(line.get("type") == "step_start" for line in lines)
            ):
                worker.join(0.2)
            spy = _record(server, target, duration)
            worker.join()
            if spy is None:
                continue
            _, err = spy.communicate(timeout=duration + 30)
            if not target.exists():
                out[name] = {"setup": f"py-spy failed: {err.decode(errors='replace')[-300:]}", "groups": [], "top": []}
                continue
            summary = summarize(target, duration)
            step = next(
                (line for line in lines if line.get("type") == ("connected" if kind == "connect" else "step")), {}
            )
            latency = step.get("latency", {}) or {}
            ack = step.get("ack", {}) or {}
            during = (
                f"{step.get('connected')} connected in {step.get('total_ms')} ms"
                if kind == "connect"
                else f"delivery p99 {latency.get('p99')} ms, ack p99 {ack.get('p99')} ms"
            )
            summary["setup"] = (
                f"{summary['samples']} samples over {duration:g} s at {SAMPLE_RATE} Hz "
                f"(the server was on-CPU in {summary['busy_share']:.0f}% of them); during the run: {during}. "
                "Shares are inclusive: a stack counts in every group it passes through."
            )
            out[name] = summary
        finally:
            server.stop()
    return out
