"""JSON decoding with a bound on nesting, for HTTP bodies and Socket.IO packets alike.

No payload of the protocol nests deeper than a few levels. Deeper input is refused before it
reaches a schema, a limiter key function or a log line: very deep input otherwise exhausts the
decoder's recursion and surfaces as a 500 with a traceback.
"""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 32


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


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads that raises NestingTooDeepError instead of recursing without bound."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError as exc:
        raise NestingTooDeepError() from exc
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
    Input too deep for the decoder itself has no event name to answer and is refused whole.
    """

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(text, **kwargs)
        except RecursionError as exc:
            raise NestingTooDeepError() from exc
        if not depth_exceeds(value):
            return value
        if isinstance(value, list) and value and isinstance(value[0], str):
            return [value[0], *(TooDeepArgument() for _ in value[1:])]
        return TooDeepArgument()


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, decoding with the nesting bound."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)
