"""deploy/Dockerfile: its structure, and its start command run here, outside Docker."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.deploy.conftest import DEPLOY
from tests.support.procs import ROOT
from tests.support.services import free_port

DOCKERFILE = DEPLOY / "Dockerfile"


def instructions() -> list[tuple[str, str, str]]:
    """(stage, INSTRUCTION, arguments) for every instruction, continuations joined."""
    text = DOCKERFILE.read_text()
    logical = text.replace("\\\n", " ")
    stage = ""
    found = []
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            stage = rest.split(" AS ")[-1].strip() if " AS " in rest else rest
        found.append((stage, word, rest.strip()))
    return found


def of(stage: str, word: str) -> list[str]:
    return [rest for s, w, rest in instructions() if s == stage and w == word]


def server_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for rest in of("server", "ENV"):
        for pair in shlex.split(rest):
            key, _, value = pair.partition("=")
            env[key] = value
    return env


def test_multi_stage_node_build_nginx_client_and_non_root_server() -> None:
    froms = {s: rest for s, w, rest in instructions() if w == "FROM"}
    assert froms["client-build"].startswith("node:")
    assert froms["client"].startswith("nginx:")
    assert froms["server"].startswith("python:")
    assert any("--from=client-build" in c for c in of("server", "COPY"))
    assert any("--from=client-build" in c for c in of("client", "COPY"))
    users = of("server", "USER")
    assert users
    assert users[-1] not in {"root", "0"}
    healthcheck = of("server", "HEALTHCHECK")
    assert len(healthcheck) == 1
    assert "/healthz" in healthcheck[0]


def test_every_copied_path_exists_in_the_repository() -> None:
    for stage, word, rest in instructions():
        if word != "COPY" or "--from=" in rest:
            continue
        parts = [p for p in rest.split() if not p.startswith("--")]
        for source in parts[:-1]:
            assert (ROOT / source).exists(), f"{stage}: COPY {source} does not exist"


@pytest.fixture
def started_like_the_image(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, dict[str, str]]]:
    """The server stage's CMD with its ENV, as Docker would run it (minus the container)."""
    cmd = json.loads(of("server", "CMD")[-1])
    assert cmd == ["python", "server.py"]
    port = free_port()
    env = {
        **os.environ,
        **server_env(),
        # What a container gets from outside: its database, its secret, its address.
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}",
        "SECRET_KEY": secrets.token_hex(32),
        "CHATROOM_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, *cmd[1:]], cwd=ROOT, env=env, stdout=log, stderr=log)
    yield proc, port, env
    proc.terminate()
    proc.wait(timeout=30)


def test_the_image_start_command_serves_healthz(
    started_like_the_image: tuple[subprocess.Popen[bytes], int, dict[str, str]], tmp_path: Path
) -> None:
    proc, port, env = started_like_the_image
    assert env["CHATROOM_ENV"] == "production"
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, (tmp_path / "server.log").read_text()
        try:
            response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.1)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # The HEALTHCHECK itself (exec form) succeeds against that server, and fails without one.
    healthcheck = json.loads(of("server", "HEALTHCHECK")[0].split(" CMD ", 1)[1])
    probe = [sys.executable, *healthcheck[1:]]
    assert subprocess.run(probe, env=env, capture_output=True, timeout=30, check=False).returncode == 0
    nobody = {**env, "PORT": str(free_port())}
    assert subprocess.run(probe, env=nobody, capture_output=True, timeout=30, check=False).returncode != 0
    # The logs are the JSON the image asks for.
    first = (tmp_path / "server.log").read_text().splitlines()[0]
    assert json.loads(first)["level"] == "info"
