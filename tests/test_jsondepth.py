"""The nesting bound of JSON input (chatroom/jsondepth.py), on its own."""

from __future__ import annotations

import gc
import sys
from typing import Any

import pytest
from flask import Flask

from chatroom.jsondepth import (
    DECODE_MAX_DEPTH,
    MAX_DEPTH,
    NestingTooDeepError,
    SocketJSON,
    TooDeepArgument,
    loads,
    text_nests_deeper,
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_the_text_scan_counts_open_containers_and_not_brackets_inside_strings() -> None:
    deep = '{"x": ' + nested(DECODE_MAX_DEPTH + 1) + "}"
    assert text_nests_deeper(deep) and text_nests_deeper(deep.encode())
    assert not text_nests_deeper('{"x": ' + nested(DECODE_MAX_DEPTH - 1) + "}")
    # Many brackets side by side, or inside a string (escaped quotes included), nest nothing.
    wide = "[" + ",".join(["[]"] * 1000) + "]"
    quoted = '{"body": "' + "[{" * 1000 + '\\" [[[ \\\\", "n": 1}'
    assert not text_nests_deeper(wide) and not text_nests_deeper(quoted) and not text_nests_deeper(quoted.encode())
    assert loads(quoted)["n"] == 1
    # A string left open holds the rest of the text, brackets included (the decoder refuses it).
    unclosed = '{"x": "' + '\\"' * 1000 + "[" * (DECODE_MAX_DEPTH + 1)
    assert not text_nests_deeper(unclosed) and not text_nests_deeper(unclosed.encode())


def test_input_near_the_recursion_limit_never_reaches_the_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The decoder recursing near the limit left no stack for a garbage-collector callback
    (the process's pause timer), which failed with a traceback in the server log."""
    failures: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", failures.append)

    def needs_some_stack(_phase: str, _info: dict[str, Any]) -> None:
        def down(n: int) -> int:
            return 0 if n == 0 else down(n - 1)

        down(40)

    thresholds = gc.get_threshold()
    gc.callbacks.append(needs_some_stack)
    gc.set_threshold(1)  # a collection at nearly every allocation, the decoder's included
    try:
        for depth in range(DECODE_MAX_DEPTH + 1, sys.getrecursionlimit() + 50, 13):
            text = '{"x": ' + nested(depth) + "}"
            with pytest.raises(NestingTooDeepError):
                loads(text)
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(needs_some_stack)
    assert failures == []
    with pytest.raises(NestingTooDeepError):  # a packet this deep is refused whole, not decoded
        SocketJSON.loads(f'["join", {{"x": {nested(DECODE_MAX_DEPTH + 1)}}}]'.encode())


def test_moderate_nesting_is_decoded_and_then_refused_with_the_event_name_kept() -> None:
    text = '{"x": ' + nested(MAX_DEPTH + 5) + "}"
    with pytest.raises(NestingTooDeepError):
        loads(text)
    name, argument = SocketJSON.loads(f'["join", {text}]')
    assert name == "join" and isinstance(argument, TooDeepArgument)
    assert set(loads('{"x": ' + nested(MAX_DEPTH - 1) + "}")) == {"x"}  # 32 levels in all: decoded


def test_the_server_never_walks_outgoing_data_for_binary(app: Flask) -> None:
    from socketio import packet

    from chatroom import socketio

    assert socketio.server is not None
    outgoing = socketio.server.packet_class(packet.ACK, data=[{"body": b"bytes"}], id=1)
    assert outgoing.packet_type == packet.ACK  # the library would make it a BINARY_ACK
