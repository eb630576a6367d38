"""Real clients over real sockets: requests for HTTP, python-socketio over websocket."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import requests
import socketio

from tests.conftest import PASSWORD


class ChatClient:
    """A person: an HTTP session (cookie) and a websocket, recording what they receive."""

    def __init__(self, base_url: str, username: str | None = None) -> None:
        self.base_url = base_url
        self.username = username or f"u{uuid.uuid4().hex[:10]}"
        self.http = requests.Session()
        self.sio = socketio.Client(reconnection=False)
        self.received: dict[str, list[Any]] = {"data": [], "vote": []}
        self._arrived = threading.Condition()
        for name in self.received:
            self.sio.on(name, self._recorder(name))
        self.sio.on("batch", self._record_batch)

    def _recorder(self, name: str) -> Any:
        def record(payload: Any) -> None:
            with self._arrived:
                self.received[name].append(payload)
                self._arrived.notify_all()

        return record

    def _record_batch(self, batch: dict[str, Any]) -> None:
        # Several changes of one room in one frame: recorded as if they came one by one.
        with self._arrived:
            self.received["data"].extend(batch.get("data", []))
            self.received["vote"].extend(batch.get("vote", []))
            self._arrived.notify_all()

    def signup(self) -> ChatClient:
        response = self.http.post(
            f"{self.base_url}/api/signup",
            json={"email": f"{self.username}@example.com", "username": self.username, "password": PASSWORD},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return self

    def connect(self, transports: list[str] | None = None) -> ChatClient:
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.sio.connect(
            self.base_url, headers={"Cookie": cookie}, transports=transports or ["websocket"], wait_timeout=10
        )
        return self

    def call(self, event: str, payload: Any, timeout: float = 10) -> Any:
        return self.sio.call(event, payload, timeout=timeout)

    def wait_for(self, name: str, count: int, timeout: float = 10) -> list[Any]:
        with self._arrived:
            ok = self._arrived.wait_for(lambda: len(self.received[name]) >= count, timeout=timeout)
        assert ok, f"{self.username} got {len(self.received[name])} {name!r} events, expected {count}"
        return list(self.received[name])

    def close(self) -> None:
        # websocket-client waits up to 3 s for the closing handshake; nothing here needs it.
        if self.sio.connected:
            threading.Thread(target=self.sio.disconnect, daemon=True).start()
        self.http.close()
