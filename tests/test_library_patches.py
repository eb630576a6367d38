"""The library patches: whole frames, and the start-up check of what they patch."""

from __future__ import annotations

from chatroom.library_patches import CompleteSends


class ShortWriter:
    """A socket whose send() takes at most a few bytes at a time, like a nearly full buffer."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.written = bytearray()
        self.fileno_calls = 0

    def send(self, data: bytes, flags: int = 0) -> int:
        taken = bytes(data[: self.room])
        self.written += taken
        return len(taken)

    def sendall(self, data: bytes | memoryview, flags: int = 0) -> None:
        self.written += bytes(data)

    def fileno(self) -> int:
        self.fileno_calls += 1
        return 7


def test_a_short_write_is_completed() -> None:
    raw = ShortWriter(room=3)
    sock = CompleteSends(raw)
    frame = b"\x81\x0bhello world"
    assert sock.send(frame) == len(frame)
    assert bytes(raw.written) == frame


def test_a_full_write_is_one_send_and_other_calls_pass_through() -> None:
    raw = ShortWriter(room=1000)
    sock = CompleteSends(raw)
    assert sock.send(b"abc") == 3
    assert bytes(raw.written) == b"abc"
    assert sock.fileno() == 7 and raw.fileno_calls == 1
