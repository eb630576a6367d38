"""Real clients over real sockets, through the project's client library (`chatroom_client`).

A test that plays a person uses the library, so the library is exercised by every real-server
test and cannot drift from the server. `ChatClient` adds what protocol tests need on top:
the raw ack of any event (`call`), and every server event recorded as it came (`received`).
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from typing import Any

import httpx

from chatroom_client import ChatroomError, Client, Disconnected
from tests.conftest import PASSWORD


class ChatClient:
    """A person: the library's `Client` (cookie session over HTTP, a websocket), recording
    every server event it receives; a `batch` is recorded as its `data` and `vote` entries."""

    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        *,
        reconnection: bool = False,
        token: str | None = None,
        http: httpx.Client | None = None,
        sio: Any = None,
    ) -> None:
        self.base_url = base_url
        self.username = username or f"u{uuid.uuid4().hex[:10]}"
        # No retries: protocol tests look at each answer, refusals included.
        self.client = Client(
            base_url,
            token=token,
            reconnect=reconnection,
            reconnect_delay=0.2,
            reconnect_delay_max=1.0,
            retry_for=0,
            http=http,
            sio=sio,
        )
        self.received: defaultdict[str, list[Any]] = defaultdict(list)
        self._drops: list[str] = []
        self._arrived = threading.Condition()
        self.client.add_listener(self._record)

    @property
    def http(self) -> httpx.Client:
        return self.client.http

    @property
    def sio(self) -> Any:
        return self.client.sio

    def _record(self, name: str, payload: Any) -> None:
        with self._arrived:
            if name == "batch":
                # Several changes of one room in one frame: recorded as if they came one by one.
                self.received["data"].extend(payload.get("data", []))
                self.received["vote"].extend(payload.get("vote", []))
                self.received["update"].extend(payload.get("update", []))
            else:
                self.received[name].append(payload)
            self._arrived.notify_all()

    def signup(self) -> ChatClient:
        self.client.signup(f"{self.username}@example.com", self.username, PASSWORD)
        return self

    def login(self) -> ChatClient:
        self.client.login(f"{self.username}@example.com", PASSWORD)
        return self

    def connect(self, transports: list[str] | None = None) -> ChatClient:
        self.client.connect(transports=transports)
        return self

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar)

    def call(self, event: str, payload: Any, timeout: float = 10) -> Any:
        """The raw ack of one event (`ok: false` included); a transport failure raises."""
        return self.client.emit_raw(event, payload, timeout=timeout)

    def wait_for(self, name: str, count: int, timeout: float = 10) -> list[Any]:
        with self._arrived:
            ok = self._arrived.wait_for(lambda: len(self.received[name]) >= count, timeout=timeout)
        assert ok, f"{self.username} got {len(self.received[name])} {name!r} events, expected {count}"
        return list(self.received[name])

    def drops(self) -> list[str]:
        """Why the connection dropped, each time so far (from the library's `Disconnected` events)."""
        while True:
            try:
                event = self.client.next_event(timeout=0.01)
            except ChatroomError:
                continue
            if event is None:
                return list(self._drops)
            if isinstance(event, Disconnected):
                self._drops.append(event.reason)

    def close(self) -> None:
        self.client.close()
