"""Several real `server.py` processes on one PostgreSQL and one Redis, and nginx in front."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import engineio
import httpx
import pytest
import requests
import socketio
from requests.adapters import HTTPAdapter

from tests.support.clients import ChatClient
from tests.support.procs import ROOT, ServerProcess
from tests.support.services import free_port

SHIPPED_NGINX = ROOT / "deploy" / "nginx" / "chatroom.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        pytest.fail("nginx is needed for the load-balancer tests (apt-get install nginx)")
    return found


def derived_site(upstreams: list[str], port: int, *, sticky: bool = True) -> str:
    """The shipped site config with this test's port, web root and server processes."""
    site = SHIPPED_NGINX.read_text()
    replacements = {
        r"listen 8080;": f"listen 127.0.0.1:{port};",
        r"root /usr/share/nginx/html;": f"root {ROOT / 'frontend' / 'dist'};",
        r"include /etc/nginx/chatroom-upstream.conf;": " ".join(
            f"server {u} max_fails=1 fail_timeout=5s;" for u in upstreams
        ),
    }
    if not sticky:
        replacements[r"ip_hash;"] = ""
    for old, new in replacements.items():
        site, count = re.subn(re.escape(old), new, site)
        assert count == 1, f"the shipped nginx config no longer contains {old!r}"
    return site


class Nginx:
    """A private nginx (own prefix, port, logs) running the shipped site config."""

    def __init__(self, folder: Path, upstreams: list[str], *, sticky: bool = True) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.conf = folder / "nginx.conf"
        mime = Path("/etc/nginx/mime.types")
        # Run as root, nginx would hand requests to workers running as its unprivileged user,
        # which cannot read a checkout (or this test's folder) that only root may enter.
        workers_as = "user root;" if os.geteuid() == 0 else ""
        self.conf.write_text(
            f"""
daemon off;
{workers_as}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    {"include " + str(mime) + ";" if mime.exists() else ""}
    access_log {folder}/access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{derived_site(upstreams, self.port, sticky=sticky)}
}}
"""
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, *extra: str) -> list[str]:
        return [
            nginx_binary(),
            "-p",
            str(self.folder),
            "-e",
            str(self.folder / "error.log"),
            "-c",
            str(self.conf),
            *extra,
        ]

    def check(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command("-t"), capture_output=True, text=True, check=False)

    def start(self) -> Nginx:
        tested = self.check()
        assert tested.returncode == 0, tested.stderr
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                assert self.proc.poll() is None, (self.folder / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


class _SourceAdapter(HTTPAdapter):
    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def _engineio_from(source: str) -> type[engineio.Client]:
    class FromSource(engineio.Client):  # type: ignore[misc]
        def _connect_websocket(self, url: str, headers: Any, engineio_path: str) -> Any:
            parts = urlsplit(url)
            # websocket-client cannot bind a source address; hand it a connected socket.
            self.websocket_extra_options["socket"] = socket.create_connection(
                (parts.hostname, parts.port), timeout=10, source_address=(source, 0)
            )
            return super()._connect_websocket(url, headers, engineio_path)

    return FromSource


def client_from(base_url: str, source: str, *, reconnection: bool = False) -> ChatClient:
    """A ChatClient whose every connection leaves from `source` (any 127.x.y.z is local).

    nginx's ip_hash keys on the first three octets of the client address, so clients from
    127.0.1.1 and 127.0.2.1 may be sent to different processes, as people on different
    networks would be.
    """
    http = httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=10)
    polling = requests.Session()
    polling.mount("http://", _SourceAdapter(source))
    eio_class = _engineio_from(source)

    class Client(socketio.Client):  # type: ignore[misc]
        def _engineio_client_class(self) -> type[engineio.Client]:
            return eio_class

    # The client library sends the session cookie with every (re)connection's headers.
    sio = Client(
        reconnection=reconnection,
        reconnection_delay=0.2,
        reconnection_delay_max=1,
        randomization_factor=0.1,
        handle_sigint=False,
        http_session=polling,
    )
    return ChatClient(base_url, reconnection=reconnection, http=http, sio=sio)


def connected_sockets(server: ServerProcess) -> int:
    for line in requests.get(f"{server.url}/metrics", timeout=5).text.splitlines():
        if line.startswith("chatroom_connected_sockets "):
            return int(float(line.split()[1]))
    raise AssertionError("no chatroom_connected_sockets in /metrics")


def until(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


@pytest.fixture
def start_servers(pg_url: str, redis_url: str, tmp_path: Path) -> Iterator[Callable[..., list[ServerProcess]]]:
    """Start n server processes sharing this test's database and a Redis prefix of its own."""
    prefix = f"chatroom-scaleout-{secrets.token_hex(4)}"
    secret = secrets.token_hex(32)
    started: list[ServerProcess] = []

    def start(n: int, **env: str) -> list[ServerProcess]:
        env = {"REDIS_URL": redis_url, "CHATROOM_REDIS_PREFIX": prefix, **env}
        procs = [ServerProcess(pg_url, tmp_path, SECRET_KEY=secret, **env) for _ in range(n)]
        started.extend(procs)
        for proc in procs:
            proc.start()
        return procs

    yield start
    for proc in started:
        proc.kill()
