"""Real PostgreSQL and Redis for the tests: the configured ones, or throwaway ones we start.

TEST_DATABASE_URL / TEST_REDIS_URL win when set. Otherwise a throwaway server is started
(initdb + pg_ctl, redis-server) in a temporary folder and stopped at the end. When neither is
possible the tests that need it skip loudly, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psycopg
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unavailable(what: str, why: str) -> None:
    message = f"{what} is not available: {why}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI=true: every test must run)", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY - {message}")


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


def _as_root() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own in a temporary folder; it can be stopped and started."""

    def __init__(self) -> None:
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("initdb/pg_ctl not installed (apt-get install postgresql)")
        self.pg_ctl = pg_ctl
        self.folder = Path(tempfile.mkdtemp(prefix="chatroom-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        self.port = free_port()
        subprocess.run(
            [*_as_root(), initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres"],
            check=True,
            capture_output=True,
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [
                *_as_root(),
                self.pg_ctl,
                "-D",
                str(self.data),
                "-l",
                str(self.folder / "log"),
                "-w",
                "-o",
                options,
                "start",
            ],
            check=True,
            capture_output=True,
        )

    def stop(self, mode: str = "fast") -> None:
        subprocess.run([*_as_root(), self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"], capture_output=True)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    cluster = ThrowawayPostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def create_database(server_url: str) -> str:
    """A new empty database on that server; returns its URL."""
    name = f"chatroom_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(server_url: str, database_url: str) -> None:
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgres_server() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from chatroom.config import normalize_database_url

        url = normalize_database_url(url)
        try:
            with psycopg.connect(_libpq(url), connect_timeout=5):
                pass
        except psycopg.Error as exc:
            _unavailable("PostgreSQL at TEST_DATABASE_URL", str(exc).strip())
        yield url
        return
    try:
        with throwaway_postgres() as cluster:
            yield cluster.url
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        _unavailable("PostgreSQL", f"no TEST_DATABASE_URL and no throwaway cluster ({exc})")


@contextmanager
def throwaway_redis() -> Iterator[str]:
    server = shutil.which("redis-server")
    if not server:
        raise RuntimeError("redis-server not installed (apt-get install redis-server)")
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="chatroom-redis-"))
    subprocess.run(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--dir",
            str(folder),
            "--pidfile",
            str(folder / "pid"),
        ],
        check=True,
        capture_output=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for_redis(url)
        yield url
    finally:
        pid_file = folder / "pid"
        if pid_file.exists():
            with suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().strip()), 15)
        shutil.rmtree(folder, ignore_errors=True)


def wait_for_redis(url: str, timeout: float = 10.0) -> None:
    import redis

    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=1).ping()
            return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def redis_server() -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        import redis

        try:
            redis.Redis.from_url(url, socket_timeout=3).ping()
        except redis.RedisError as exc:
            _unavailable("Redis at TEST_REDIS_URL", str(exc))
        yield url
        return
    try:
        with throwaway_redis() as url:
            yield url
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        _unavailable("Redis", f"no TEST_REDIS_URL and no redis-server ({exc})")
