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


@pytest.mark.timeout(240)
def test_quick_run_measures_every_scenario_and_writes_the_report(
    bench_databases: BenchDatabases, tmp_path: Path
) -> None:
    for package in ("loadgen", "baselines/node_socketio"):
        if not (ROOT / "bench" / package / "node_modules").is_dir() or not shutil.which("node"):
            _unavailable("the benchmark's npm packages", f"run scripts/bootstrap test (bench/{package})")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--pg-server",
            bench_databases.server,
            "--db-prefix",
            bench_databases.prefix,
            "--output-dir",
            str(tmp_path),
            "--results-dir",
            str(tmp_path / "results"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=220,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = (tmp_path / "performance.md").read_text()
    assert (tmp_path / "performance.png").stat().st_size > 10_000
    number = re.compile(r"\d")
    for scenario in ("fan-out N=50", "ingest", "votes", "join 1k", "connect 50", "memory per idle conn"):
        figures = _figures(report, scenario)
        assert figures, f"no {scenario} rows in:\n{report}"
        assert all(number.search(f) and "error" not in f for f in figures), f"{scenario}: {figures}"
    # Every server of the comparison took part in fan-out.
    assert len(_figures(report, "fan-out N=50")) >= 3
    assert "Chatroom" in completed.stdout and "Node socket.io" in completed.stdout
    assert "error" not in completed.stdout.lower()
