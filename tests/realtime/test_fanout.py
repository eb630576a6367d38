"""The broadcast frame built once for every recipient must be a valid websocket frame."""

from __future__ import annotations

import pytest
from wsproto.frame_protocol import FrameProtocol, Opcode

from chatroom.realtime.fanout import text_frame


@pytest.mark.parametrize("length", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_text_frame_parses_as_one_whole_text_message_at_every_length_boundary(length: int) -> None:
    text = ("é" + "x" * length)[:length]  # non-ASCII too: the length is in bytes, not characters
    reader = FrameProtocol(client=True, extensions=[])  # a client reads unmasked server frames
    reader.receive_bytes(text_frame(text))
    frames = list(reader.received_frames())
    assert len(frames) == 1
    assert frames[0].opcode is Opcode.TEXT
    assert frames[0].message_finished
    assert frames[0].payload == text
