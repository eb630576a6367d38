"""The bots in examples/ run as their own processes against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatroom_client import Client, MethodNotAllowedError, NewMessage, NotFoundError
from tests.conftest import PASSWORD
from tests.support.procs import ROOT, ServerProcess

EXAMPLES = ROOT / "examples"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(f"sqlite:///{tmp_path / 'chat.db'}", tmp_path) as proc:
        yield proc


def account(url: str, name: str) -> Client:
    client = Client(url)
    client.signup(f"{name}@example.com", name, PASSWORD)
    return client


def bot_env(server: ServerProcess, name: str) -> dict[str, str]:
    """How a bot logs in: with a token when the server issues them, else with a password."""
    env = {**os.environ, "CHATROOM_URL": server.url, "PYTHONUNBUFFERED": "1"}
    owner = account(server.url, name)
    try:
        env["CHATROOM_TOKEN"] = owner.create_token(f"{name} token").secret
    except (NotFoundError, MethodNotAllowedError):  # a server without tokens: a password works the same
        env.update(CHATROOM_EMAIL=f"{name}@example.com", CHATROOM_PASSWORD=PASSWORD)
    finally:
        owner.close()
    return env


def run(script: str, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(EXAMPLES / script), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_echo_bot_answers_ping_with_pong(server: ServerProcess) -> None:
    bot = run("echo_bot.py", bot_env(server, "echo"), "--room", "general", "--once", "--timeout", "120")
    person = account(server.url, f"p{uuid.uuid4().hex[:8]}")
    try:
        assert bot.stdout is not None
        assert bot.stdout.readline().startswith("listening in general"), bot.stderr.read() if bot.stderr else ""
        person.join("general")
        person.send("general", "hello")
        asked = person.send("general", "!ping")
        answers: list[NewMessage] = []
        deadline = time.monotonic() + 60
        while not answers:
            event = person.next_event(timeout=max(0.1, deadline - time.monotonic()))
            assert time.monotonic() < deadline, "the bot never answered"
            if isinstance(event, NewMessage) and event.message["author"]["username"] == "echo":
                answers.append(event)
        assert answers[0].message["body"] == "pong"
        assert answers[0].message["id"] > asked["id"]
        assert bot.wait(timeout=60) == 0
        # Exactly one answer: the bot ignored "hello" and its own "pong".
        bodies = [m["body"] for m in person.history("general").messages]
        assert bodies == ["hello", "!ping", "pong"]
    finally:
        bot.kill()
        person.close()


def test_the_daily_top_bot_posts_the_three_best_messages(server: ServerProcess) -> None:
    author = account(server.url, "author")
    voters = [account(server.url, f"voter{n}") for n in range(3)]
    try:
        ids = {body: author.send("general", body)["id"] for body in ("meh", "good", "best", "fine")}
        for n, voter in enumerate(voters):
            voter.upvote(ids["best"])
            if n < 2:
                voter.upvote(ids["good"])
            if n < 1:
                voter.upvote(ids["fine"])
        voters[0].downvote(ids["meh"])
        bot = run("daily_top.py", bot_env(server, "topbot"), "--room", "general")
        out, err = bot.communicate(timeout=120)
        assert bot.returncode == 0, err
        assert out.startswith("posted 3 in general"), out
        posted = author.history("general", limit=1).messages[0]
        assert posted["author"]["username"] == "topbot"
        lines = posted["body"].splitlines()
        assert lines == ["Top of the day:", "1. author (+3): best", "2. author (+2): good", "3. author (+1): fine"]
    finally:
        author.close()
        for voter in voters:
            voter.close()
