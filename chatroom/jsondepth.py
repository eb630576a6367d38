"""JSON decoding with a bound on nesting, for HTTP bodies and Socket.IO packets alike.

No payload of the protocol nests deeper than a few levels. Deeper input is refused before it
reaches a schema, a limiter key function or a log line: very deep input otherwise exhausts the
decoder's recursion and surfaces as a 500 with a traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask.json.provider import DefaultJSONProvider
from socketio.packet import Packet

MAX_DEPTH = 32
# Input nested deeper than this is refused before it is decoded. The decoder recurses once per
# level: near the interpreter's recursion limit it leaves no stack for whatever runs meanwhile,
# such as a garbage-collector callback, which then fails with a traceback in the log.
DECODE_MAX_DEPTH = 128

# A JSON string (escapes included) or one bracket: brackets inside strings do not nest. A
# string left open runs to the end of the text: the match never fails once a quote opened it,
# so the scan is one pass (a string that had to close made input full of escaped quotes and
# no closing one quadratic: 24 s for 64 KB).
_TOKENS = re.compile(r'"[^"\\]*(?:\\.?[^"\\]*)*(?:"|\Z)|[\[\]{}]', re.DOTALL)
_BYTE_TOKENS = re.compile(rb'"[^"\\]*(?:\\.?[^"\\]*)*(?:"|\Z)|[\[\]{}]', re.DOTALL)


class NestingTooDeepError(ValueError):
    """JSON nested deeper than MAX_DEPTH (a ValueError, as the decoder's own errors are)."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_DEPTH} levels")


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a decoded value nests containers deeper than `limit` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def text_nests_deeper(text: str | bytes, limit: int = DECODE_MAX_DEPTH) -> bool:
    """Whether JSON text opens more than `limit` containers at once, read without decoding it."""
    tokens: Iterator[re.Match[Any]]
    if isinstance(text, str):
        opens, tokens = text.count("[") + text.count("{"), _TOKENS.finditer(text)
    else:
        opens, tokens = text.count(b"[") + text.count(b"{"), _BYTE_TOKENS.finditer(text)
    if opens <= limit:
        return False
    depth = 0
    for token in tokens:
        bracket = token.group()
        if bracket in ("[", "{", b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif bracket in ("]", "}", b"]", b"}"):
            depth -= 1
    return False


def _decode(text: str | bytes, **kwargs: Any) -> Any:
    if text_nests_deeper(text):
        raise NestingTooDeepError()
    try:
        return json.loads(text, **kwargs)
    except RecursionError as exc:
        raise NestingTooDeepError() from exc


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads that raises NestingTooDeepError instead of recursing without bound."""
    value = _decode(text, **kwargs)
    if depth_exceeds(value):
        raise NestingTooDeepError()
    return value


dumps = json.dumps


class TooDeepArgument:
    """Stands in for a Socket.IO event argument that nested too deep; handlers refuse it."""

    def __repr__(self) -> str:
        return "<argument nested too deep>"


class SocketJSON:
    """The `json` module python-socketio decodes packets with.

    An event whose arguments nest too deep keeps its name and ack id, and its arguments become
    TooDeepArgument, so the handler answers `invalid` instead of the packet being dropped.
    Input nested deeper than DECODE_MAX_DEPTH is not decoded: it has no event name to answer
    and is refused whole (chatroom.realtime.guard answers `invalid` by the frame's ack id).
    """

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        value = _decode(text, **kwargs)
        if not depth_exceeds(value):
            return value
        if isinstance(value, list) and value and isinstance(value[0], str):
            return [value[0], *(TooDeepArgument() for _ in value[1:])]
        return TooDeepArgument()


class TextPacket(Packet):  # type: ignore[misc]  # python-socketio is untyped
    """Socket.IO packets that are never binary: the protocol has no binary data (binary frames
    are refused, chatroom.realtime.guard), so an outgoing packet's data is not walked looking
    for bytes. The library walks every value of every ack and event for them otherwise: a
    sixteenth of a join's CPU, for a page of 50 messages."""

    uses_binary_events = False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, decoding with the nesting bound."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)
