"""The servers under test: started pinned to one core, watched through /proc, stopped by PID."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
SERVER_CORE = "1"
LOADGEN_CORE = "0"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(core: str, argv: list[str]) -> list[str]:
    """argv run on one core with taskset (exec'd, so the PID stays the server's)."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", core, *argv]
    return argv


@dataclass
class Server:
    """One server process of the comparison."""

    name: str
    label: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proto: str = "sio"  # "sio" (Socket.IO) or "raw" (plain websocket)
    persists: bool = False
    database: str = ""  # libpq URL of the database it writes to, if any
    cwd: Path = ROOT
    log_dir: Path = BENCH / "results"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> Server:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"server-{self.name}-{self.port}.log").open("ab")
        argv = [a.replace("{port}", str(self.port)) for a in self.argv]
        env = {**os.environ, **self.env, "PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(pinned(SERVER_CORE, argv), cwd=self.cwd, env=env, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{self.name} not healthy after {timeout}s: {self.log_tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def log_tail(self) -> str:
        path = self.log_dir / f"server-{self.name}-{self.port}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def export_tree(ref: str, results: Path) -> tuple[Path, str]:
    """The project as committed at `ref`, unpacked under results/ (reused); (folder, short sha)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    folder = results / f"tree-{sha[:12]}"
    if not (folder / "server.py").exists():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder, sha[:12]


def product(database_url: str, secret_key: str, log_dir: Path, tree: Path = ROOT, **env: str) -> Server:
    """`python server.py`: gevent, PostgreSQL, authentication, validation, rate limits (amounts raised)."""
    return Server(
        name="product",
        label="Chatroom (gevent, PostgreSQL)",
        argv=[sys.executable, str(tree / "server.py")],
        cwd=tree,
        env={
            "HOST": "127.0.0.1",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret_key,
            "CHATROOM_ENV": "development",
            # The limits stay on, so their cost is part of every figure; their amounts are raised
            # so that the load itself (up to 1,000 simulated people, each far busier than a person)
            # is not refused.
            "CHATROOM_RATE_LIMITS": "on",
            "CHATROOM_RATE_LIMIT_SCALE": "1000",
            # Search has its own HTTP limit (30 a minute); one simulated searcher asks hundreds.
            "CHATROOM_SEARCH_RATE_LIMIT": "100000/minute",
            # Every simulated client comes from 127.0.0.1: the per-address cap would refuse
            # all but the first 50.
            "CHATROOM_MAX_CONNECTIONS_PER_ADDRESS": "0",
            "CHATROOM_INSTANCE_PATH": str(log_dir / "instance"),
            **env,
        },
        persists=True,
        database=database_url,
        log_dir=log_dir,
    )


def seed_naive(database_url: str, log_dir: Path) -> Server:
    return Server(
        name="seed",
        label="seed-naive (threading, insert per message)",
        argv=[
            sys.executable,
            str(BENCH / "baselines" / "seed_naive.py"),
            "--port",
            "{port}",
            "--database-url",
            database_url,
        ],
        persists=True,
        database=database_url,
        log_dir=log_dir,
    )


def node_socketio(log_dir: Path) -> Server:
    return Server(
        name="node",
        label="Node socket.io 4.8 (no DB)",
        argv=["node", str(BENCH / "baselines" / "node_socketio" / "server.js")],
        log_dir=log_dir,
    )


def socketify_raw(log_dir: Path) -> Server | None:
    """The ceiling, or None when socketify does not import here."""
    probe = subprocess.run([sys.executable, "-c", "import socketify"], capture_output=True)
    if probe.returncode != 0:
        return None
    return Server(
        name="socketify",
        label="raw websocket, socketify (ceiling)",
        argv=[sys.executable, str(BENCH / "baselines" / "socketify_raw.py"), "--port", "{port}"],
        proto="raw",
        log_dir=log_dir,
    )
