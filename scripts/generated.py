"""The files written from the server's code, so the rules and shapes have one source.

    scripts/generate          rewrite them
    scripts/generate --check  exit 1 (naming them) when a checked-in copy is stale

- frontend/src/api/generated.ts: the protocol's limits (chatroom/schemas.py) as constants, and
  the TypeScript types of the wire shapes, compiled from the pydantic models' JSON Schema by
  json-schema-to-typescript (frontend/node_modules).
- docs/operations.md: the table of environment variables, from the fields of chatroom.config.Config.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chatroom import schemas  # noqa: E402
from chatroom.config import Config  # noqa: E402

CLIENT_TYPES = ROOT / "frontend" / "src" / "api" / "generated.ts"
OPERATIONS = ROOT / "docs" / "operations.md"
TABLE_START = "<!-- settings table: written by scripts/generate from chatroom/config.py -->"
TABLE_END = "<!-- end of settings table -->"

# The shapes the web client reads, in the order the file lists them.
WIRE_MODELS: list[type[BaseModel]] = [
    schemas.ErrorBody,
    schemas.FailedAck,
    schemas.MeOut,
    schemas.UserOut,
    schemas.AuthorOut,
    schemas.MessageOut,
    schemas.RoomOut,
    schemas.JoinAck,
    schemas.SendAck,
    schemas.VoteTotals,
    schemas.VoteAck,
    schemas.VoteEvent,
    schemas.BatchEvent,
    schemas.PageOut,
    schemas.AroundOut,
    schemas.SearchOut,
    schemas.TopOut,
    schemas.OnlineUser,
    schemas.RoomSummary,
    schemas.RoomsOut,
    schemas.RoomPayload,
    schemas.OkAck,
    schemas.ReadAck,
    schemas.UnreadEvent,
    schemas.PresenceEvent,
    schemas.TypingEvent,
    schemas.TokenOut,
    schemas.TokensOut,
    schemas.CreatedTokenOut,
    schemas.MuteState,
    schemas.VersionOut,
    schemas.VersionsOut,
    schemas.ModerationEntryOut,
    schemas.ModerationLogOut,
    schemas.MutedEvent,
    schemas.UnmutedEvent,
    schemas.MuteAck,
    schemas.UnmuteAck,
    schemas.MentionEvent,
    schemas.MentionsOut,
    schemas.UserRef,
    schemas.UsersOut,
]

# Name in the client -> (value, what it is).
LIMITS: dict[str, tuple[int | str, str]] = {
    "BODY_MAX_CHARS": (schemas.BODY_MAX_CHARS, "Longest message body, in characters after trimming."),
    "USERNAME_MIN_CHARS": (schemas.USERNAME_MIN_CHARS, "Shortest username."),
    "USERNAME_MAX_CHARS": (schemas.USERNAME_MAX_CHARS, "Longest username."),
    "USERNAME_PATTERN": (schemas.USERNAME_PATTERN, "What a username may contain (a regular expression)."),
    "PASSWORD_MIN_CHARS": (schemas.PASSWORD_MIN_CHARS, "Shortest password, in characters (code points)."),
    "PASSWORD_MAX_CHARS": (schemas.PASSWORD_MAX_CHARS, "Longest password, in characters (code points)."),
    "PAGE_SIZE": (schemas.PAGE_SIZE, "Messages in a history page when no limit is asked for."),
    "MAX_PAGE_SIZE": (schemas.MAX_PAGE_SIZE, "The most messages one history page holds."),
    "MAX_TOP_OFFSET": (schemas.MAX_TOP_OFFSET, "The deepest `offset` a Top page may start at."),
    "SEARCH_QUERY_MAX_CHARS": (schemas.SEARCH_QUERY_MAX_CHARS, "The longest search query `q`, in characters."),
    "SEARCH_PAGE_SIZE": (schemas.SEARCH_PAGE_SIZE, "Results in a search page when no limit is asked for."),
    "MAX_SEARCH_PAGE_SIZE": (schemas.MAX_SEARCH_PAGE_SIZE, "The most results one search page holds."),
    "ROOM_NAME_MAX_CHARS": (schemas.ROOM_NAME_MAX_CHARS, "Longest room name, in characters after trimming."),
    "ROOM_SLUG_MAX_CHARS": (schemas.ROOM_SLUG_MAX_CHARS, "Longest room slug."),
    "ROOM_TOPIC_MAX_CHARS": (schemas.ROOM_TOPIC_MAX_CHARS, "Longest room topic."),
    "TYPING_INTERVAL_SECONDS": (
        schemas.TYPING_INTERVAL_SECONDS,
        "The server broadcasts at most one `typing` per person per room in this many seconds.",
    ),
    "TYPING_SHOW_SECONDS": (
        schemas.TYPING_SHOW_SECONDS,
        "How long a client shows a typing indicator after the last one.",
    ),
    "TOKEN_PREFIX": (schemas.TOKEN_PREFIX, "How every personal API token's secret starts."),
    "TOKEN_NAME_MAX_CHARS": (schemas.TOKEN_NAME_MAX_CHARS, "Longest token name, in characters after trimming."),
    "MAX_LIVE_TOKENS": (schemas.MAX_LIVE_TOKENS, "The most tokens a person holds that are not revoked."),
    "REASON_MAX_CHARS": (schemas.REASON_MAX_CHARS, "Longest moderation reason, in characters after trimming."),
    "MUTE_MAX_MINUTES": (schemas.MUTE_MAX_MINUTES, "The longest mute, in minutes (30 days)."),
    "USER_LOOKUP_SIZE": (schemas.USER_LOOKUP_SIZE, "People in an @ suggestion list when no limit is asked for."),
    "MAX_USER_LOOKUP_SIZE": (schemas.MAX_USER_LOOKUP_SIZE, "The most people one @ suggestion list holds."),
}

HEADER = """\
// Written by scripts/generate from chatroom/schemas.py: do not edit by hand.
// The protocol's limits and the wire shapes (docs/protocol.md), as the server defines them.
"""


def wire_schema() -> dict[str, Any]:
    """One JSON Schema whose root lists every wire model, so each becomes one interface."""
    _, top = models_json_schema([(model, "serialization") for model in WIRE_MODELS], title="WireShapes")
    definitions: dict[str, Any] = top["$defs"]
    for definition in definitions.values():
        # Property titles would each become a named type alias; the models' titles name the interfaces.
        for prop in definition.get("properties", {}).values():
            prop.pop("title", None)
        _tuples_as_items(definition)
    names = [model.__name__ for model in WIRE_MODELS]
    return {
        "title": "WireShapes",
        "type": "object",
        "properties": {name: {"$ref": f"#/$defs/{name}"} for name in names},
        "required": names,
        "$defs": definitions,
    }


def _tuples_as_items(schema: Any) -> None:
    """Tuples in the draft-07 form (`items` as a list) that json-schema-to-typescript reads."""
    if isinstance(schema, dict):
        if "prefixItems" in schema:
            schema["items"] = schema.pop("prefixItems")
        for value in schema.values():
            _tuples_as_items(value)
    elif isinstance(schema, list):
        for value in schema:
            _tuples_as_items(value)


_COMPILE = """
import { compile } from "json-schema-to-typescript";
let input = "";
for await (const chunk of process.stdin) input += chunk;
const options = { additionalProperties: false, bannerComment: "", format: true, unknownAny: true };
process.stdout.write(await compile(JSON.parse(input), "WireShapes", options));
"""


def client_types() -> str:
    compiled = subprocess.run(
        ["node", "--input-type=module", "-e", _COMPILE],
        input=json.dumps(wire_schema()),
        capture_output=True,
        text=True,
        cwd=ROOT / "frontend",
        check=False,
    )
    if compiled.returncode != 0:
        raise SystemExit(f"json-schema-to-typescript failed:\n{compiled.stderr}")
    constants = "".join(
        f"/** {what} */\nexport const {name} = {json.dumps(value)};\n" for name, (value, what) in LIMITS.items()
    )
    return f"{HEADER}\n{constants}\n{compiled.stdout}"


def settings_table() -> str:
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, field in Config.model_fields.items():
        variable = Config.environment_variables().get(name)
        if variable is None:
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        shown = extra.get("shown_default")
        if shown is None:
            shown = _shown(field.default)
        rows.append(f"| `{variable}` | {shown} | {field.description} |")
    return "\n".join(rows)


def _shown(default: Any) -> str:
    if default is None or default == ():
        return "unset"
    if isinstance(default, bool):
        return "on" if default else "off"
    if isinstance(default, int) and default >= 86400 and default % 86400 == 0:
        return f"{default} ({default // 86400} days)"
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    if isinstance(default, str):
        return f"`{default}`"
    return str(default)


def operations_doc() -> str:
    text = OPERATIONS.read_text()
    start, end = text.index(TABLE_START), text.index(TABLE_END)
    return f"{text[: start + len(TABLE_START)]}\n{settings_table()}\n{text[end:]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    check = parser.parse_args().check
    stale = []
    for path, content in ((CLIENT_TYPES, client_types()), (OPERATIONS, operations_doc())):
        if path.exists() and path.read_text() == content:
            continue
        if check:
            stale.append(path.relative_to(ROOT))
        else:
            path.write_text(content)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"stale: {', '.join(map(str, stale))}; run scripts/generate and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
