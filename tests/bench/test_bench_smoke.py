"""The benchmark's smoke run (`python -m bench --quick`) end to end, against real processes.

No timing thresholds: the machine is shared. It checks that every server starts, every
scenario produces figures, and the report and plot get written, so the benchmark cannot rot.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.data import BenchDatabases
from tests.support.services import _unavailable

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def bench_databases(pg_server: str) -> Iterator[BenchDatabases]:
    server = pg_server.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    dbs = BenchDatabases(server, f"chatroom_bench_test_{uuid.uuid4().hex[:8]}")
    yield dbs
    dbs.drop()


def _figures(markdown: str, scenario: str) -> list[str]:
    """Figure and detail columns of the results rows of one scenario.

    Under heavy load a server may meet no latency limit (figure "-"); the detail then still
    carries the peak it reached, which is what proves the measurement ran.
    """
    rows = [line.split(" | ") for line in markdown.splitlines() if line.startswith(f"| {scenario} |")]
    return [f"{row[2]} | {row[3]}" for row in rows if len(row) >= 4]


def run_quick_bench(
    databases: BenchDatabases, tmp_path: Path, *options: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`python -m bench --quick` with `options`, on the test's databases, writing under tmp_path."""
    return subprocess.run(
        [
            sys.executable, "-m", "bench", "--quick", *options,
            "--pg-server", databases.server, "--db-prefix", databases.prefix,
            "--output-dir", str(tmp_path), "--results-dir", str(tmp_path / "results"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )  # fmt: skip


@pytest.mark.timeout(240)
def test_quick_run_measures_every_scenario_and_writes_the_report(
    bench_databases: BenchDatabases, tmp_path: Path
) -> None:
    for package in ("loadgen", "baselines/node_socketio"):
        if not (ROOT / "bench" / package / "node_modules").is_dir() or not shutil.which("node"):
            _unavailable("the benchmark's npm packages", f"run scripts/bootstrap test (bench/{package})")
    completed = run_quick_bench(bench_databases, tmp_path, timeout=220)
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = (tmp_path / "performance.md").read_text()
    assert (tmp_path / "performance.png").stat().st_size > 10_000
    number = re.compile(r"\d")
    for scenario in (
        "fan-out N=50",
        "ingest",
        "votes",
        "join 1k",
        *(f"top 1k {window}" for window in ("hour", "day", "week", "all")),
        *(f"search 1k {kind}" for kind in ("common word", "rare word", "prefix", "two words")),
        "connect 50",
        "memory per idle conn",
    ):
        figures = _figures(report, scenario)
        assert figures, f"no {scenario} rows in:\n{report}"
        assert all(number.search(f) and "error" not in f for f in figures), f"{scenario}: {figures}"
    # The product's own metrics explain its write-path figures.
    assert re.search(r"\| ingest \| Chatroom[^|]*\|[^|]*\|[^|]*GC \d+ pauses[^|]*\d+ writer batches of", report), report
    # Every server of the comparison took part in fan-out.
    assert len(_figures(report, "fan-out N=50")) >= 3
    assert "Chatroom" in completed.stdout and "Node socket.io" in completed.stdout
    assert "error" not in completed.stdout.lower()


@pytest.mark.timeout(180)
def test_quick_top_run_pages_every_window_of_a_voted_room(bench_databases: BenchDatabases, tmp_path: Path) -> None:
    """`--scenarios top` alone: the rooms get their history and vote totals, every window is paged."""
    if not (ROOT / "bench" / "loadgen" / "node_modules").is_dir() or not shutil.which("node"):
        _unavailable("the benchmark's npm packages", "run scripts/bootstrap test (bench/loadgen)")
    completed = run_quick_bench(bench_databases, tmp_path, "--scenarios", "top", "--servers", "product", timeout=160)
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = (tmp_path / "performance.md").read_text()
    for window in ("hour", "day", "week", "all"):
        figures = _figures(report, f"top 1k {window}")
        assert len(figures) == 1 and re.search(r"p99 \d", figures[0]) and "failed" not in figures[0], report
    # The room's vote totals and ranks are what the server itself would have written.
    import psycopg

    from chatroom.ranking import wilson_lower_bound

    with psycopg.connect(bench_databases.product) as conn:
        rows = conn.execute(
            "SELECT m.upvotes, m.downvotes, m.wilson_lb FROM messages m JOIN rooms r ON r.id = m.room_id "
            "WHERE r.slug = 'join-1k'"
        ).fetchall()
    assert len(rows) == 1000
    assert sum(1 for up, down, _ in rows if up or down) == 200
    assert all(rank == wilson_lower_bound(up, down) for up, down, rank in rows)


@pytest.mark.timeout(180)
def test_quick_search_run_measures_every_kind_of_query(bench_databases: BenchDatabases, tmp_path: Path) -> None:
    """`--scenarios search` alone: the room gets searchable history, and every kind of query is
    answered and reported with how many messages it matches."""
    completed = run_quick_bench(
        bench_databases, tmp_path, "--scenarios", "search", "--servers", "product", timeout=160
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = (tmp_path / "performance.md").read_text()
    for kind in ("common word", "rare word", "prefix", "two words"):
        figures = _figures(report, f"search 1k {kind}")
        assert len(figures) == 1 and re.search(r"p99 \d", figures[0]) and "failed" not in figures[0], report
        assert re.search(r"over 30 searches; [\d,-]+ matches", figures[0]), figures[0]
    # The bodies are varied words, so a common word matches some messages and not all.
    common = _figures(report, "search 1k common word")[0]
    low, _, high = re.search(r"; ([\d,-]+) matches", common).group(1).partition("-")  # type: ignore[union-attr]
    assert 0 < int(low) <= int(high or low) < 1000, common
