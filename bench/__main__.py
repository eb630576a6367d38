"""Run the Chatroom load benchmark: `python -m bench` (or `make bench`).

Starts each server pinned to core 1, drives it from the load generator pinned to core 0,
and measures the product and its baselines in the same run, so the ratios hold on a noisy
machine. Prints a table, writes docs/performance.md and docs/performance.png.

    python -m bench                      # everything (about 20 minutes)
    python -m bench --quick              # ~35 s smoke run (CI), writes under bench/results/
    python -m bench --scenarios fanout --servers product,node --fanout-n 1000
    python -m bench --profile            # also py-spy the product under fan-out and ingest
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import requests

from bench import data, report, scenarios, servers
from bench.profile import profile_product
from bench.servers import ROOT, Server

SCENARIOS = ["connect", "fanout", "ingest", "ingest-rooms", "votes", "join", "top", "search", "connect-10k"]
SERVERS = ["product", "seed", "node", "socketify"]
# Opt-in variants of the product that test a proposed change (none at present).
EXPERIMENTS: list[str] = []
# connect-10k: idle authenticated connections one process holds for a minute.
CONNECT_MANY = 10_000
# The threading baseline above this many clients starves the whole (shared) machine.
SEED_MAX_CLIENTS = 1000
# Which servers take part in which scenario (the DB-less baselines have nothing to persist).
PARTICIPANTS = {
    "connect": {"product", "seed", "node"},
    "fanout": {"product", "seed", "node", "socketify"},
    "ingest": {"product", "seed"},
    # The seed has one room.
    "ingest-rooms": {"product"},
    # The threading seed would need 35,000 OS threads.
    "connect-10k": {"product", "node"},
    "votes": {"product", "seed"},
    "join": {"product", "seed"},
    # The baselines have no ranking to page through, nor search.
    "top": {"product"},
    "search": {"product"},
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="~35 s smoke run; writes under bench/results/")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma list of {','.join(SCENARIOS)}")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma list of {','.join(SERVERS + EXPERIMENTS)}")
    parser.add_argument("--fanout-n", default=None, help="comma list of room sizes (default 100,1000,5000)")
    parser.add_argument(
        "--join-sizes", default=None, help="comma list of 1k,100k,1m for join, top and search (default all; quick: 1k)"
    )
    parser.add_argument("--clients", type=int, default=1000, help="clients for connect, memory and votes")
    parser.add_argument("--profile", action="store_true", help="py-spy the product under fan-out, ingest and votes")
    parser.add_argument(
        "--pg-server",
        default=os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database (the bench creates its own databases)",
    )
    parser.add_argument("--db-prefix", default="chatroom_bench", help="name of the bench databases")
    parser.add_argument("--output-dir", type=Path, default=None, help="where performance.md/.png go")
    parser.add_argument(
        "--product-ref",
        default=None,
        help="measure the product as committed at this git ref (e.g. HEAD) instead of the working tree",
    )
    parser.add_argument(
        "--profile-from",
        type=Path,
        default=None,
        help="only run the py-spy profiles, at the rates of a saved run, and add them to its report",
    )
    parser.add_argument(
        "--report-from", type=Path, default=None, help="only rewrite the report from a saved bench/results/run-*.json"
    )
    parser.add_argument(
        "--results-dir", type=Path, default=None, help="raw results and server logs (default bench/results)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_from:
        return write_report(json.loads(args.report_from.read_text()), args.output_dir)
    if args.profile_from:
        return profile_saved_run(args)
    quick = args.quick
    chosen = [s for s in args.scenarios.split(",") if s]
    wanted_servers = [s for s in args.servers.split(",") if s]
    unknown = (set(chosen) - set(SCENARIOS)) | (set(wanted_servers) - set(SERVERS) - set(EXPERIMENTS))
    if unknown:
        print(f"unknown scenario or server: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    results_dir = (args.results_dir or ROOT / "bench" / "results").resolve()
    output_dir = args.output_dir or (results_dir if quick else ROOT / "docs")
    settings = scenarios.Settings(
        step_seconds=1.0 if quick else 3.0, drain_ms=500 if quick else 2000, results=results_dir, quick=quick
    )
    fanout_ns = [int(x) for x in (args.fanout_n or ("50" if quick else "100,1000,5000")).split(",")]
    join_labels = (args.join_sizes or ("1k" if quick else "1k,100k,1m")).split(",")
    join_rooms = {f"join-{label}": data.JOIN_SIZES[f"join-{label}"] for label in join_labels}
    n_clients = min(args.clients, 50) if quick else args.clients
    needed_users = max([*fanout_ns, n_clients, 10 + (20 if quick else 200)])
    if "ingest-rooms" in chosen:
        needed_users = max(needed_users, (100 if quick else 1000) + (20 if quick else 200))
    if "connect-10k" in chosen:
        needed_users = max(needed_users, CONNECT_MANY)

    started = time.time()
    tree, measured = ROOT, report.commit()
    if args.product_ref:
        tree, measured = servers.export_tree(args.product_ref, results_dir)
        log(f"measuring the product at {args.product_ref} ({measured}) from {tree}")
    dbs = data.BenchDatabases(args.pg_server.rstrip("/"), args.db_prefix)
    log(f"preparing databases {dbs.product} and {dbs.seed}")
    dbs.ensure()
    data.migrate_product(dbs.product, tree)
    user_ids = data.ensure_users(dbs.product, needed_users)
    data.ensure_rooms(dbs.product, [data.FANOUT_ROOM, data.INGEST_ROOM, data.VOTES_ROOM, *data.INGEST_ROOMS])
    if {"join", "top", "search"} & set(chosen):
        log(f"bulk history for join, top and search: {join_rooms}")
        data.ensure_history(dbs.product, user_ids[0], join_rooms)
        if "seed" in wanted_servers and "join" in chosen:
            data.ensure_seed_history(dbs.seed, join_rooms)
    if "top" in chosen:
        log("vote totals on that history for top")
        data.ensure_top_votes(dbs.product, list(join_rooms))
    secret_key = secrets.token_hex(32)
    cookies = data.session_cookies(secret_key, data.new_sessions(dbs.product, user_ids))

    log_dir = results_dir
    candidates: dict[str, Server | None] = {
        "product": servers.product(dbs.product, secret_key, log_dir, tree),
        "seed": servers.seed_naive(dbs.seed, log_dir),
        "node": servers.node_socketio(log_dir),
        "socketify": servers.socketify_raw(log_dir),
    }
    notes: list[str] = []
    if "socketify" in wanted_servers and candidates["socketify"] is None:
        notes.append("socketify did not import on this machine: the raw-websocket ceiling was skipped.")
    run: dict[str, Any] = {
        "machine": report.machine(),
        "commit": measured,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
        "quick": quick,
        "settings": {"step_seconds": settings.step_seconds, "drain_ms": settings.drain_ms},
        "servers": {},
        "connect": [],
        "fanout": [],
        "ingest": [],
        "ingest-rooms": [],
        "votes": [],
        "join": [],
        "top": [],
        "search": [],
        "connect-10k": [],
        "notes": notes,
        "profiles": {},
        "results_dir": str(results_dir),
    }
    for name in wanted_servers:
        server = candidates.get(name)
        if server is None:
            continue
        todo = [s for s in chosen if name in PARTICIPANTS[s]]
        if not todo:
            continue
        run["servers"][name] = server.label
        log(f"== {server.label}: {', '.join(todo)}")
        try:
            server.start()
        except (RuntimeError, TimeoutError) as exc:
            notes.append(f"{server.label} did not start: {exc}")
            log(str(exc))
            continue
        try:
            if name == "product":
                check_cookie(server, cookies[0])
            run_server(server, todo, run, cookies, settings, fanout_ns, join_rooms, n_clients, user_ids)
        finally:
            server.stop()
    if args.profile and "product" in wanted_servers:
        log("== profiling the product with py-spy")
        run["profiles"] = profile_product(
            servers.product(dbs.product, secret_key, log_dir, tree),
            cookies,
            settings,
            run["fanout"],
            run["ingest"],
            tuple(s for s in ("connect", "fanout", "ingest", "votes") if s in chosen),
            votes_results=run["votes"],
            author_id=user_ids[0],
        )
    run["elapsed_s"] = round(time.time() - started, 1)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / f"run-{stamp}.json").write_text(json.dumps(run, indent=1))
    return write_report(run, output_dir)


def profile_saved_run(args: argparse.Namespace) -> int:
    """py-spy the product at the rates of a saved run and put the summary into its report."""
    run = json.loads(args.profile_from.read_text())
    results_dir = (args.results_dir or ROOT / "bench" / "results").resolve()
    tree, measured = ROOT, report.commit()
    if args.product_ref:
        tree, measured = servers.export_tree(args.product_ref, results_dir)
    if measured != run["commit"]:
        run["notes"].append(f"The py-spy profiles were taken from commit {measured}, the figures from {run['commit']}.")
    dbs = data.BenchDatabases(args.pg_server.rstrip("/"), args.db_prefix)
    user_ids = data.ensure_users(dbs.product, 1000 + 210)
    secret_key = secrets.token_hex(32)
    cookies = data.session_cookies(secret_key, data.new_sessions(dbs.product, user_ids))
    settings = scenarios.Settings(results=results_dir)
    run["profiles"] = profile_product(
        servers.product(dbs.product, secret_key, results_dir, tree),
        cookies,
        settings,
        run["fanout"],
        run["ingest"],
        ("connect", "fanout", "ingest"),
    )
    args.profile_from.write_text(json.dumps(run, indent=1))
    return write_report(run, args.output_dir)


def write_report(run: dict[str, Any], output_dir: Path | None) -> int:
    output_dir = output_dir or (ROOT / "bench" / "results" if run["quick"] else ROOT / "docs")
    print(report.table(run))
    output_dir.mkdir(parents=True, exist_ok=True)
    report.plot(run, output_dir / "performance.png")
    report.write_markdown(run, output_dir / "performance.md", "performance.png")
    log(f"wrote {output_dir / 'performance.md'} and performance.png (run took {run['elapsed_s']} s)")
    return 0


def run_server(
    server: Server,
    todo: list[str],
    run: dict[str, Any],
    cookies: list[str],
    settings: scenarios.Settings,
    fanout_ns: list[int],
    join_rooms: dict[str, int],
    n_clients: int,
    user_ids: list[int],
) -> None:
    """The scenarios of one server, each on a freshly started process."""
    steps: list[tuple[str, Any]] = []
    if "connect" in todo:
        steps.append(("connect", lambda: scenarios.connect_and_idle(server, cookies, settings, n_clients)))
    if "fanout" in todo:
        for n in fanout_ns:
            if server.name == "seed" and n > SEED_MAX_CLIENTS:
                run["notes"].append(
                    f"seed-naive was not run at N={n}: threading mode holds about 3.5 OS threads per client "
                    "(17,000 at N=5,000), which drowned the whole shared machine (load average 2,800)."
                )
                continue
            steps.append(("fanout", lambda n=n: scenarios.fanout(server, n, cookies, settings)))
    if "ingest" in todo:
        steps.append(
            ("ingest", lambda: scenarios.ingest(server, cookies, settings, senders=20 if settings.quick else 200))
        )
    if "ingest-rooms" in todo:
        steps.append(
            (
                "ingest-rooms",
                lambda: scenarios.ingest_rooms(server, cookies, settings, senders=20 if settings.quick else 200),
            )
        )
    if "votes" in todo:
        steps.append(("votes", lambda: scenarios.votes(server, cookies, settings, user_ids[0], n=n_clients)))
    if "join" in todo:
        steps.append(("join", lambda: scenarios.join(server, cookies, settings, list(join_rooms))))
    if "top" in todo:
        steps.append(("top", lambda: scenarios.top(server, cookies, settings, list(join_rooms))))
    if "search" in todo:
        steps.append(("search", lambda: scenarios.search(server, cookies, settings, list(join_rooms))))
    if "connect-10k" in todo:
        many, hold = (200, 2.0) if settings.quick else (CONNECT_MANY, 60.0)
        steps.append(("connect-10k", lambda: scenarios.connect_and_idle(server, cookies, settings, many, hold_s=hold)))
    for index, (kind, action) in enumerate(steps):
        t0 = time.monotonic()
        if index and not settings.quick:
            # A fresh process per scenario: 5,000 sockets closing, or a backlog left by an
            # overloaded step, must not weigh on the next measurement.
            server.stop()
            server.start()
        if server.name == "seed" and kind in ("fanout", "ingest", "votes"):
            data.clear_seed_rooms(server.database, [data.FANOUT_ROOM, data.INGEST_ROOM, data.VOTES_ROOM])
        try:
            result = action()
        except (scenarios.LoadgenError, OSError) as exc:
            result = {"server": server.name, "error": str(exc)[-1500:]}
        if server.proc is not None and server.proc.poll() is not None:
            result["error"] = f"server exited: {server.log_tail()}"
            run[kind].append(result)
            log(f"{server.name} died during {kind}; restarting")
            server.start()
            continue
        run[kind].append(result)
        log(f"{kind} {server.name}: {report.one_line(kind, result)} ({time.monotonic() - t0:.0f} s)")
        save_partial(run)


def save_partial(run: dict[str, Any]) -> None:
    """The results so far, readable while a long run goes on."""
    path = Path(run["results_dir"]) / "run-partial.json"
    path.write_text(json.dumps(run, indent=1))


def check_cookie(server: Server, cookie: str) -> None:
    """The forged session cookie must be what a log-in would have produced."""
    response = requests.get(f"{server.url}/api/me", headers={"Cookie": cookie}, timeout=5)
    if response.status_code != 200:
        raise RuntimeError(f"bench cookie refused by /api/me: {response.status_code} {response.text[:200]}")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
