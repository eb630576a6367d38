"""Log-out closes the session's sockets in every server process, not only the one it hit."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_logout_on_one_process_disconnects_sockets_on_another(pg_url: str, redis_url: str, tmp_path: Path) -> None:
    env = {"REDIS_URL": redis_url, "CHATROOM_REDIS_PREFIX": f"logout-{uuid.uuid4().hex[:6]}", "SECRET_KEY": uuid.uuid4().hex * 2}
    with ServerProcess(pg_url, tmp_path, **env) as first, ServerProcess(pg_url, tmp_path, **env) as second:
        person = ChatClient(first.url, "leaver").signup()
        # The same cookie, used against the second process.
        elsewhere = ChatClient(second.url, "leaver")
        elsewhere.http.cookies.update(person.http.cookies)
        elsewhere.connect()
        bystander = ChatClient(second.url, "stayer").signup().connect()
        try:
            assert elsewhere.call("join", {"room": "general"})["ok"]
            person.client.logout()
            deadline = time.monotonic() + 10
            while elsewhere.sio.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not elsewhere.sio.connected
            assert bystander.sio.connected
            assert bystander.call("join", {"room": "general"})["ok"]
        finally:
            for client in (person, elsewhere, bystander):
                client.close()
