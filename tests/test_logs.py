"""CHATROOM_LOG_FORMAT=json: every line a server process writes is one JSON object."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import requests

from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess


def test_server_writes_one_json_object_per_line(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 'chat.db'}", tmp_path, CHATROOM_LOG_FORMAT="json").start()
    try:
        person = ChatClient(server.url).signup().connect()
        person.call("join", {"room": "general"})
        person.close()
        assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
    finally:
        server.kill(signal.SIGTERM)
    lines = [line for line in server.log_path.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert entries
    for entry in entries:
        assert set(entry) >= {"ts", "level", "logger", "message"}
        assert entry["ts"].endswith("Z")
    messages = [e["message"] for e in entries if e["logger"] == "chatroom.server"]
    assert any(m.startswith("Chatroom serving on http://127.0.0.1:") for m in messages), messages
    assert "Chatroom stopped" in messages
