"""Real server processes for tests: start `server.py` on a free port, kill it, restart it."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    """One `python server.py`, with its own log file; restartable on the same port."""

    def __init__(self, database_url: str, log_dir: Path, port: int | None = None, **env: str) -> None:
        self.port = port or free_port()
        self.log_path = log_dir / f"server-{self.port}.log"
        self.env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DATABASE_URL": database_url,
            "SECRET_KEY": env.pop("SECRET_KEY", secrets.token_hex(32)),
            "CHATROOM_ENV": "development",
            "CHATROOM_RATE_LIMITS": "off",
            "CHATROOM_INSTANCE_PATH": str(log_dir / "instance"),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "server.py")], cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"server not healthy after {timeout}s:\n{self.log()}")
            time.sleep(0.1)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def restart(self) -> None:
        self.kill()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.kill(signal.SIGTERM)
