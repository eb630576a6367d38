"""The printed table, docs/performance.md and the latency-vs-load plot."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from bench.servers import ROOT

ANALYSIS = ROOT / "bench" / "analysis.md"
TARGET_FANOUT_VS_NODE = 1.0
TARGET_FANOUT_VS_SEED = 15.0
TARGET_INGEST = 3000
TARGET_VOTES = 2000
TARGET_JOIN_P99_MS = 5.0
TARGET_TOP_P99_MS = 10.0
TARGET_JOIN_RATIO = 1.5
TARGET_KIB_PER_CONN = 40.0
TARGET_CONNECT_S = 1.5
TARGET_IDLE_CONNECTIONS = 10_000


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    load = os.getloadavg()
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mib": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "node": node,
        "load_at_start": [round(x, 2) for x in load],
    }


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "chatroom", "server.py"], cwd=ROOT, capture_output=True, text=True
    )
    return out.stdout.strip() + (" (chatroom/ or server.py modified)" if dirty.stdout.strip() else "")


def _num(x: float | None, unit: str = "") -> str:
    if x is None:
        return "-"
    if x >= 10_000:
        return f"{x:,.0f}{unit}"
    if x >= 100:
        return f"{x:.0f}{unit}"
    return f"{x:.1f}{unit}"


def _best(result: dict[str, Any], rate: str) -> tuple[float | None, str]:
    best = result.get("sustained")
    if not best:
        return None, ""
    return best[rate], (" (≥, generator saturated)" if best.get("lower_bound") else "")


def one_line(kind: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"ERROR {r['error'][:300]}"
    if kind in ("connect", "connect-10k"):
        c = r["connect"]
        held = f", {r['still_open']} still open after {r['held_s']:.0f} s" if "still_open" in r else ""
        return f"{c['connected']} connected in {c['total_ms']:.0f} ms, {r['kib_per_connection']} KiB/conn{held}"
    if kind == "fanout":
        value, mark = _best(r, "deliveries_per_s")
        return f"N={r['n']}: {_num(value)} deliveries/s at p99<=150 ms{mark}; {len(r['steps'])} steps"
    if kind in ("ingest", "ingest-rooms", "votes"):
        value, mark = _best(r, "acks_per_s")
        return f"{_num(value)} acked/s within the p99 limit{mark}; {len(r['steps'])} steps"
    if kind == "join":
        return ", ".join(f"{j['room']} p99 {_num(j['p99'])} ms" for j in r["rooms"])
    if kind == "top":
        return ", ".join(f"{t['room']} {t['window']} p99 {_num(t['p99'])} ms" for t in r["pages"])
    if kind == "search":
        return ", ".join(f"{q['room']} {q['kind']} p99 {_num(q['p99'])} ms" for q in r["searches"])
    return ""


def _by(run: dict[str, Any], kind: str, server: str, n: int | None = None) -> dict[str, Any] | None:
    for r in run[kind]:
        if r.get("server") == server and (n is None or r.get("n") == n) and "error" not in r:
            return r
    return None


def _internals(figures: dict[str, Any] | None) -> str:
    """The server's own view of a sweep (its /metrics): collector pauses, writer batches."""
    if not figures:
        return ""
    pauses = figures["gc_pauses"]
    longest = figures["gc_longest_pause_at_most_s"]
    text = (
        f"; GC {sum(pauses.values())} pauses ({pauses['2']} full), {_num(figures['gc_pause_seconds'] * 1000)} ms in all"
        + (f", longest ≤ {_num(longest * 1000)} ms" if longest is not None else "")
    )
    if figures["writer_batches"]:
        text += (
            f"; {figures['writer_batches']} writer batches of {figures['ops_per_batch']} ops, "
            f"{figures['statements_per_batch']} SQL statements each"
        )
    return text


def rows(run: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(scenario, server, figure, detail) for every result."""
    out: list[tuple[str, str, str, str]] = []
    labels = run["servers"]
    for r in run["fanout"]:
        label = labels.get(r["server"], r["server"])
        if "error" in r:
            out.append((f"fan-out N={r.get('n', '?')}", label, "error", r["error"][:120]))
            continue
        value, mark = _best(r, "deliveries_per_s")
        best = r["sustained"] or {}
        peak = max(r["steps"], key=lambda s: s["deliveries_per_s"], default=None)
        detail = (
            f"p50 {_num(best.get('latency', {}).get('p50'))} / p99 {_num(best.get('latency', {}).get('p99'))} ms; "
            f"server CPU {_num((best.get('server_cpu') or 0) * 100)}%; generator CPU {_num(best.get('loadgen_cpu', 0) * 100)}%"
            if best
            else "no step met p99 ≤ 150 ms"
        )
        if peak:
            detail += f"; peak {_num(peak['deliveries_per_s'])}/s (p99 {_num(peak['latency']['p99'])} ms)"
        conn = r.get("connected", {})
        if conn.get("failed"):
            detail += f"; {conn['failed']} clients failed to connect"
        out.append((f"fan-out N={r['n']}", label, f"{_num(value)} deliveries/s{mark}", detail))
    for kind, unit, limit in (
        ("ingest", "persisted msgs/s", 50),
        ("ingest-rooms", "persisted msgs/s", 50),
        ("votes", "votes/s", 100),
    ):
        for r in run.get(kind, []):
            label = labels.get(r["server"], r["server"])
            if "error" in r:
                out.append((kind, label, "error", r["error"][:120]))
                continue
            value, mark = _best(r, "acks_per_s")
            best = r["sustained"] or {}
            detail = (
                f"ack p99 {_num(best.get('ack', {}).get('p99'))} ms (limit {limit})"
                if best
                else f"no step met ack p99 ≤ {limit} ms"
            )
            peak = max(r["steps"], key=lambda s: s["acks_per_s"], default=None)
            if peak:
                detail += f"; peak {_num(peak['acks_per_s'])}/s (ack p99 {_num(peak['ack']['p99'])} ms)"
            if kind == "ingest-rooms":
                detail = f"{r['rooms']} rooms of {r['listeners'] // r['rooms']} listeners; " + detail
            if kind in ("ingest", "ingest-rooms"):
                detail += f"; rows {r['persisted_rows']} for {r['acked']} ok acks"
            if kind == "votes" and r.get("exact") is not None:
                t = r["totals"]
                detail += (
                    f"; totals {'exact' if r['exact'] else 'WRONG'} (up {t['upvotes']} = {t['vote_rows_up']} rows)"
                )
            detail += _internals(r.get("internals"))
            out.append((kind, label, f"{_num(value)} {unit}{mark}", detail))
    for r in run["join"]:
        label = labels.get(r["server"], r["server"])
        if "error" in r:
            out.append(("join", label, "error", r["error"][:120]))
            continue
        for j in r["rooms"]:
            figure = f"p99 {_num(j['p99'])} ms"
            if j["p99"] is None and j["failed"]:
                figure = f"no ack ({(j.get('first_error') or 'failed')[:40]})"
            out.append(
                (
                    f"join {j['room'].removeprefix('join-')}",
                    label,
                    figure,
                    f"p50 {_num(j['p50'])} ms over {j['n']} joins" + (f"; {j['failed']} failed" if j["failed"] else ""),
                )
            )
    for r in run.get("top", []):
        label = labels.get(r["server"], r["server"])
        if "error" in r:
            out.append(("top", label, "error", r["error"][:120]))
            continue
        for t in r["pages"]:
            figure = f"p99 {_num(t['p99'])} ms"
            if t["p99"] is None and t["failed"]:
                figure = f"no ack ({(t.get('first_error') or 'failed')[:40]})"
            out.append(
                (
                    f"top {t['room'].removeprefix('join-')} {t['window']}",
                    label,
                    figure,
                    f"p50 {_num(t['p50'])} ms over {t['n']} pages" + (f"; {t['failed']} failed" if t["failed"] else ""),
                )
            )
    for r in run.get("search", []):
        label = labels.get(r["server"], r["server"])
        if "error" in r:
            out.append(("search", label, "error", r["error"][:120]))
            continue
        for q in r["searches"]:
            figure = f"p99 {_num(q['p99'])} ms"
            if q["p99"] is None and q["failed"]:
                figure = f"no answer ({(q.get('first_error') or 'failed')[:40]})"
            matches = f"{q['matches_min']:,}" + (
                f"-{q['matches_max']:,}" if q["matches_max"] != q["matches_min"] else ""
            )
            out.append(
                (
                    f"search {q['room'].removeprefix('join-')} {q['kind']}",
                    label,
                    figure,
                    f"p50 {_num(q['p50'])} ms over {q['n']} searches; {matches} matches"
                    + (f"; {q['failed']} failed" if q["failed"] else ""),
                )
            )
    for r in run["connect"]:
        label = labels.get(r["server"], r["server"])
        if "error" in r:
            out.append(("connect", label, "error", r["error"][:120]))
            continue
        c = r["connect"]
        out.append(
            (
                f"connect {r['n']}",
                label,
                f"{c['total_ms'] / 1000:.2f} s",
                f"{c['connected']} ok, {c['failed']} failed; per client p50 {_num(c['p50'])} / p99 {_num(c['p99'])} ms",
            )
        )
        out.append(
            (
                "memory per idle conn",
                label,
                f"{r['kib_per_connection']:.1f} KiB",
                f"RSS {r['rss_before_kib'] // 1024} → {r['rss_after_kib'] // 1024} MiB for {c['connected']} connections",
            )
        )
    for r in run.get("connect-10k", []):
        label = labels.get(r["server"], r["server"])
        if "error" in r:
            out.append(("connect-10k", label, "error", r["error"][:120]))
            continue
        c = r["connect"]
        out.append(
            (
                f"idle {r['n']} for {r['held_s']:g} s",
                label,
                f"{r['kib_per_connection']:.1f} KiB/conn",
                f"{c['connected']} connected in {c['total_ms'] / 1000:.1f} s, {c['failed']} failed; "
                f"{r['still_open']} still open after {r['held_s']:g} s; "
                f"RSS {r['rss_before_kib'] // 1024} → {r['rss_after_kib'] // 1024} MiB",
            )
        )
    return out


def table(run: dict[str, Any]) -> str:
    data = [("scenario", "server", "figure", "detail"), *rows(run)]
    widths = [max(len(r[i]) for r in data) for i in range(3)]
    lines = [" | ".join(r[i].ljust(widths[i]) for i in range(3)) + " | " + r[3] for r in data]
    lines.insert(1, "-+-".join("-" * w for w in widths) + "-+-------")
    return "\n".join(lines)


def targets(run: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for every target of the product that this run measured."""
    out: list[tuple[str, str, str]] = []

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "**missed**")

    product = _by(run, "fanout", "product", 1000)
    node = _by(run, "fanout", "node", 1000)
    seed = _by(run, "fanout", "seed", 1000)
    if product:
        p, _ = _best(product, "deliveries_per_s")
        for other, name, target in (
            (node, "Node socket.io", TARGET_FANOUT_VS_NODE),
            (seed, "seed-naive", TARGET_FANOUT_VS_SEED),
        ):
            if other is None:
                continue
            o, mark = _best(other, "deliveries_per_s")
            ratio = (p or 0) / o if o else None
            out.append(
                (
                    f"fan-out N=1000 ≥ {target:g}x {name}",
                    f"{_num(p)} vs {_num(o)}{mark} deliveries/s = {ratio:.2f}x"
                    if ratio is not None
                    else f"{_num(p)} vs -",
                    verdict(None if ratio is None else ratio >= target),
                )
            )
    ingest = _by(run, "ingest", "product")
    if ingest:
        v, _ = _best(ingest, "acks_per_s")
        out.append(
            (
                f"ingest ≥ {TARGET_INGEST} persisted msgs/s, ack p99 ≤ 50 ms",
                f"{_num(v)} msgs/s",
                verdict((v or 0) >= TARGET_INGEST and ingest["persisted_check"]),
            )
        )
    votes = _by(run, "votes", "product")
    if votes:
        v, _ = _best(votes, "acks_per_s")
        out.append(
            (
                f"votes ≥ {TARGET_VOTES}/s on one message, exact, ack p99 ≤ 100 ms",
                f"{_num(v)} votes/s, totals {'exact' if votes['exact'] else 'NOT exact'}",
                verdict((v or 0) >= TARGET_VOTES and bool(votes["exact"])),
            )
        )
    join = _by(run, "join", "product")
    if join:
        by_room = {j["room"]: j for j in join["rooms"]}
        small, big = by_room.get("join-1k"), by_room.get("join-1m")
        if big and big["p99"] is not None:
            ratio = big["p99"] / small["p99"] if small and small["p99"] else None
            ok = big["p99"] <= TARGET_JOIN_P99_MS and (ratio is None or ratio <= TARGET_JOIN_RATIO)
            out.append(
                (
                    f"join p99 ≤ {TARGET_JOIN_P99_MS:g} ms at 1M, ≤ {TARGET_JOIN_RATIO}x the 1k figure",
                    f"{_num(big['p99'])} ms at 1M, {_num(small['p99']) if small else '-'} ms at 1k"
                    + (f" ({ratio:.2f}x)" if ratio else ""),
                    verdict(ok),
                )
            )
    top = _by(run, "top", "product") if "top" in run else None
    if top:
        # The slowest window of each room: a Top page must be fast whatever the reader picks.
        worst: dict[str, float] = {}
        for t in top["pages"]:
            if t["p99"] is not None:
                worst[t["room"]] = max(worst.get(t["room"], 0.0), t["p99"])
        small, big = worst.get("join-1k"), worst.get("join-1m")
        if big is not None:
            ratio = big / small if small else None
            ok = big <= TARGET_TOP_P99_MS and (ratio is None or ratio <= TARGET_JOIN_RATIO)
            out.append(
                (
                    f"Top page p99 ≤ {TARGET_TOP_P99_MS:g} ms at 1M in every window, ≤ {TARGET_JOIN_RATIO}x the 1k figure",
                    f"{_num(big)} ms at 1M, {_num(small)} ms at 1k (slowest window)"
                    + (f" ({ratio:.2f}x)" if ratio else ""),
                    verdict(ok),
                )
            )
    connect = _by(run, "connect", "product")
    if connect:
        kib = connect["kib_per_connection"]
        out.append(
            (
                f"≤ {TARGET_KIB_PER_CONN:g} KB per idle authenticated connection",
                f"{kib:.1f} KiB",
                verdict(kib <= TARGET_KIB_PER_CONN),
            )
        )
        c = connect["connect"]
        seconds = c["total_ms"] / 1000
        out.append(
            (
                f"{connect['n']} clients connect and authenticate ≤ {TARGET_CONNECT_S:g} s",
                f"{seconds:.2f} s ({c['failed']} failed)",
                verdict(seconds <= TARGET_CONNECT_S and not c["failed"]),
            )
        )
    many = _by(run, "connect-10k", "product")
    if many and "error" not in many:
        product_5k = _by(run, "fanout", "product", 5000)
        node_5k = _by(run, "fanout", "node", 5000)
        held = many["still_open"] or 0
        fanout_text, fanout_ok = "fan-out N=5000 not measured", None
        if product_5k and node_5k:
            p, _ = _best(product_5k, "deliveries_per_s")
            o, mark = _best(node_5k, "deliveries_per_s")
            fanout_text = f"fan-out N=5000 {_num(p)} vs Node {_num(o)}{mark} deliveries/s"
            fanout_ok = (p or 0) >= (o or 0) > 0
        out.append(
            (
                f"{TARGET_IDLE_CONNECTIONS:,} idle connections held by one process, fan-out N=5000 ≥ Node's",
                f"{held:,} of {many['n']:,} open after {many['held_s']:g} s; {fanout_text}",
                verdict(held >= TARGET_IDLE_CONNECTIONS and (fanout_ok if fanout_ok is not None else True)),
            )
        )
    return out


def plot(run: dict[str, Any], path: Path) -> None:
    """p99 latency against offered load, one line per server, one panel per scenario."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: list[tuple[str, str, list[dict[str, Any]], str, str]] = []
    for n in sorted({r["n"] for r in run["fanout"] if "n" in r}):
        rs = [r for r in run["fanout"] if r.get("n") == n and "steps" in r]
        panels.append((f"fan-out, N={n}", "offered deliveries/s", rs, "latency", "deliveries"))
    for kind, title in (("ingest", "ingest (10 listeners)"), ("votes", "vote storm (1 message)")):
        rs = [r for r in run[kind] if "steps" in r]
        if rs:
            panels.append((title, "offered " + ("msgs/s" if kind == "ingest" else "votes/s"), rs, "ack", "rate"))
    if not panels:
        return
    cols = min(3, len(panels))
    nrows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(5.2 * cols, 4.0 * nrows), squeeze=False)
    colors = {
        "product": "tab:blue",
        "seed": "tab:red",
        "node": "tab:green",
        "socketify": "tab:gray",
    }
    for ax, (title, xlabel, results, key, xkind) in zip(axes.flat, panels, strict=False):
        for r in results:
            steps = [s for s in r["steps"] if s[key]["p99"] is not None]
            if not steps:
                continue
            if xkind == "deliveries":
                xs = [s["offered_rate"] * r["n"] for s in steps]
            else:
                xs = [s["offered_rate"] for s in steps]
            ys = [s[key]["p99"] for s in steps]
            label = run["servers"].get(r["server"], r["server"])
            ax.plot(xs, ys, marker="o", ms=3, label=label, color=colors.get(r["server"]))
            sat = [(x, y) for x, y, s in zip(xs, ys, steps, strict=True) if s["loadgen_cpu"] > 0.9]
            if sat:
                ax.scatter(*zip(*sat, strict=True), marker="x", s=40, color="black", zorder=3)
        limit = 150 if key == "latency" else (50 if "ingest" in title else 100)
        ax.axhline(limit, color="black", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("p99 " + ("delivery" if key == "latency" else "ack") + " latency (ms)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.suptitle(f"Chatroom benchmark {run['started']} (commit {run['commit']}); x = generator saturated", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


METHOD = """## How the benchmark works

- **Command:** `make bench` or `.venv/bin/python -m bench` (add `--quick` for the ~35 s smoke run
  that CI runs through `tests/bench/`, `--scenarios`, `--servers`, `--fanout-n`, `--join-sizes`
  (the rooms of join, top and search),
  `--clients` to select, `--profile` for the py-spy section). Raw results (JSON per run, server
  logs, py-spy stacks) go to `bench/results/`, which is not committed.
- **Load generator:** one Node process (`bench/loadgen/loadgen.js`, `ws` package) pinned to
  core 0 that speaks the Engine.IO 4 / Socket.IO 5 text protocol itself (`0` open, `40`
  connect, `42[...]` events with ack ids, `43<id>[...]` acks, ping `2` / pong `3`). Message
  bodies carry the send time (`bench|<ms>|<step>|<client>`), so every receiver measures
  end-to-end latency with a byte search instead of a JSON parse. It reports its own CPU per
  step; above 90% of its core the step is marked and a figure from it is a lower bound.
- **Servers:** each runs alone, pinned to core 1 (`taskset`), started fresh for its scenarios.
  The product is `python server.py` (gevent, PostgreSQL, cookie authentication, payload
  validation, the rate limiter on with its amounts raised a thousandfold
  (`CHATROOM_RATE_LIMIT_SCALE=1000`, search `100000/minute`) so that the load itself is not
  refused, no Redis: one process). Baselines: `bench/baselines/seed_naive.py` (Flask-SocketIO threading
  mode, ORM insert and commit per message, fetch-all history on join with one emit per row, no
  authentication), `bench/baselines/node_socketio/` (socket.io 4.8, pure broadcast, no database,
  no authentication) and `bench/baselines/socketify_raw.py` (raw websocket publish on
  uWebSockets through socketify, no Socket.IO protocol: the ceiling).
- **Clients and log-in:** `bench<i>` users are inserted in bulk with one precomputed argon2
  hash (their password is `bench password 0123456789`, so `POST /api/login` works for them),
  one `auth_sessions` row per client is inserted directly, and the Flask session cookie for
  it is signed with the server's `SECRET_KEY`; one such cookie is checked with `GET /api/me`
  before a run. Signing up thousands of users through the API would measure argon2 (~50 ms
  each). The socket handshake still does the real authentication (cookie, session lookup).
- **Sweeps:** each offered rate is held for the step time, then the generator waits for the
  expected deliveries and acks (the drain time at most). The sweep stops at the first step
  whose p99 passes 250 ms, where fewer than 99% of deliveries (or acks) arrived, where an ack
  failed or where a client was disconnected.
- **Scenarios:** *fan-out*: N clients join one room, 10 of them send; deliveries/s summed over
  all receivers. *Ingest*: 10 listeners, 200 senders that do not join, a `client_id` on
  every message as the web client sends; the acks come after the commit, and the stored row
  count is checked against the ok acks. *Ingest over rooms*: the same over 100 rooms of 10
  listeners each, the senders spread over them. Both ingest sweeps and the vote storm hold
  each rate 10 s. Their detail column adds, from the server's `/metrics` over the sweep, the
  garbage collector's pauses and the writer's ops and SQL statements per batch. *Vote storm*: 1,000 joined
  clients upvote one message (a repeat toggles), every total is broadcast to the room; after
  the run the stored totals are checked against the votes table. *Join*: sequential `join`s of
  rooms holding 1k, 100k and 1M messages (bulk-inserted with `generate_series`), then a tenth
  of the biggest room's size in another room, so the joined history is not the newest.
  *Top*: sequential `get_top` pages (50 messages, offset 0) of the same three rooms, for each
  window (hour, day, week, all). The history is one message a second up to now, so the hour
  holds 3,600 messages, the day 86,400 and the week 604,800; every tenth message has upvotes
  and downvotes and another tenth only downvotes, spread evenly over the history, with the
  rank the server would have written.
  *Search*: sequential `GET /api/rooms/<slug>/search` (first page, 20 results) in the same
  rooms, from the bench process over one keep-alive connection, for four kinds of query, each
  kind rotating over five queries: a common word (in about 3% of the messages), a rare word
  (about 0.02%), a three-letter prefix shared by many words, and two words. The bulk-loaded
  bodies are 4 to 12 words drawn from an 8,000-word vocabulary with a Zipf-like law (a few
  words in many messages, a long tail of rare ones), and the table is vacuumed and analysed
  after loading. The detail column gives how many messages of the room match each kind (all of
  which are ranked, whatever the page size).
  *Connect*: 1,000 clients open a socket with their cookie, 100 at a time. *Memory*: server RSS
  after those 1,000 clients sit idle, minus RSS before, divided by the clients. *Idle 10,000*:
  the same with 10,000 clients held open 60 s, then counted (it needs a descriptor limit
  above 10,000: `ulimit -n`).
"""


def write_markdown(run: dict[str, Any], path: Path, png: str) -> None:
    m = run["machine"]
    lines = [
        "# Performance",
        "",
        "Generated by `make bench` (`python -m bench`); rerun it to refresh this page. "
        "How the benchmark works is described at the end.",
        "",
        f"- **Date:** {run['started']}; **commit:** `{run['commit']}`; run took {run['elapsed_s']:.0f} s"
        + (" (**quick smoke run**, not representative)" if run["quick"] else ""),
        f"- **Machine:** {m['cpu']}, {m['cores']} cores, {m['memory_mib']:,} MiB RAM, {m['os']}, "
        f"Python {m['python']}, Node {m['node']}; load average at start {m['load_at_start']} "
        "(the machine is shared, so only same-run ratios are meaningful)",
        f"- **Pinning:** server on core 1, load generator on core 0 (`taskset`); each rate held "
        f"{run['settings']['step_seconds']:g} s"
        + (
            ""
            if run["quick"]
            else " (ingest, ingest-rooms and votes: 10 s, so that one collector pause cannot decide a step)"
        )
        + f", then up to {run['settings']['drain_ms'] / 1000:g} s to drain.",
        "",
        "## Targets",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    lines += [f"| {t} | {v} | {ok} |" for t, v, ok in targets(run)]
    lines += ["", "## Results", "", "| scenario | server | figure | detail |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(run)]
    lines += [
        "",
        "Fan-out figures are *sustained deliveries/s*: the highest offered load whose p99 end-to-end "
        "latency stayed ≤ 150 ms with at least 99% of the deliveries arriving. “≥” marks a figure "
        "where the load generator used more than 90% of its core: the server may do more.",
        "",
        f"![p99 latency against offered load, one line per server]({png})",
        "",
    ]
    if run["notes"]:
        lines += ["## Notes from this run", ""] + [f"- {n}" for n in run["notes"]] + [""]
    profiles = run.get("profiles") or {}
    if profiles:
        lines += ["## Where the product's time goes (py-spy)", ""]
        for name, prof in profiles.items():
            lines += [f"### {name}", "", prof["setup"], ""]
            lines += ["| share of samples | where |", "|---:|---|"]
            lines += [f"| {share:.1f}% | {what} |" for what, share in prof["groups"]]
            lines += ["", "Top functions by own time:", "", "| own | function |", "|---:|---|"]
            lines += [f"| {share:.1f}% | `{fn}` |" for fn, share in prof["top"]]
            lines += [""]
    if ANALYSIS.exists():
        lines += [ANALYSIS.read_text().strip(), ""]
    lines += [METHOD.strip(), ""]
    path.write_text("\n".join(lines))
