"""Payload schemas, validated at the edge (HTTP bodies and Socket.IO events)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

# Ids larger than a PostgreSQL bigint cannot exist; they are "not found", never an overflow.
MAX_ID = 2**63 - 1

# The protocol's rules (docs/protocol.md): the one source for the services, the schemas below
# and the web client, whose copy scripts/generate-client-types writes from these names.
BODY_MAX_CHARS = 4000
USERNAME_MIN_CHARS = 3
USERNAME_MAX_CHARS = 32
USERNAME_PATTERN = rf"^[A-Za-z0-9_-]{{{USERNAME_MIN_CHARS},{USERNAME_MAX_CHARS}}}$"
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 256
# History pages: the default size, and the most one request is served.
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
# Rooms: a name is 1-40 characters after trimming, its slug at most 40, a topic at most 200.
ROOM_NAME_MAX_CHARS = 40
ROOM_SLUG_MAX_CHARS = 40
ROOM_TOPIC_MAX_CHARS = 200
# Typing: at most one broadcast per person per room in this many seconds; clients show the
# indicator for TYPING_SHOW_SECONDS after the last one.
TYPING_INTERVAL_SECONDS = 3
TYPING_SHOW_SECONDS = 6
# Personal API tokens: every secret starts with TOKEN_PREFIX (secret scanners look for it), a
# name is 1-64 characters after trimming, and a person holds at most MAX_LIVE_TOKENS that are
# not revoked.
TOKEN_PREFIX = "chr_"  # noqa: S105 - the public prefix, not a secret
TOKEN_NAME_MAX_CHARS = 64
MAX_LIVE_TOKENS = 20
# Top pages: how deep `offset` may page through the ranking.
MAX_TOP_OFFSET = 10_000
# Search: a query is 1-200 characters (not only whitespace); a page holds 20 results unless
# asked otherwise, and at most 50.
SEARCH_QUERY_MAX_CHARS = 200
# Searches per person (CHATROOM_SEARCH_RATE_LIMIT's default): each one ranks every match.
SEARCHES_PER_USER = "30/minute"
SEARCH_PAGE_SIZE = 20
MAX_SEARCH_PAGE_SIZE = 50
# A message whose score is at or below this is collapsed (CHATROOM_COLLAPSE_SCORE's default).
DEFAULT_COLLAPSE_SCORE = -5
# Moderation: reasons are 1-200 characters after trimming; a mute lasts 1 minute to 30 days.
REASON_MAX_CHARS = 200
MUTE_MAX_MINUTES = 43_200
# @ suggestions (GET /api/users): the default and the most people one request lists.
USER_LOOKUP_SIZE = 10
MAX_USER_LOOKUP_SIZE = 20

Role = Literal["member", "moderator", "admin"]


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


Text = Annotated[StrictStr, AfterValidator(_storable)]
PositiveId = Annotated[StrictInt, Field(ge=1)]
RoomSlug = Annotated[Text, Field(min_length=1, max_length=64)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SignupIn(Payload):
    email: Annotated[Text, Field(max_length=320)]
    username: Text
    password: Annotated[Text, Field(max_length=1024)]


class LoginIn(Payload):
    email: Annotated[Text, Field(max_length=320)]
    password: Annotated[Text, Field(max_length=1024)]


class JoinIn(Payload):
    room: RoomSlug
    after_seq: Annotated[StrictInt, Field(ge=0)] | None = None


class SendIn(Payload):
    room: RoomSlug
    # The length rule (1-4,000 after trimming, code too_long) is the service's business.
    body: Annotated[Text, Field(max_length=1_000_000)]
    client_id: Annotated[Text, Field(min_length=1, max_length=64)] | None = None


class VoteIn(Payload):
    message_id: PositiveId


class HistoryIn(Payload):
    room: RoomSlug
    before: PositiveId | None = None
    limit: Annotated[StrictInt, Field(ge=1)] = PAGE_SIZE


TopWindow = Literal["hour", "day", "week", "all"]


class TopIn(Payload):
    room: RoomSlug
    window: TopWindow = "day"
    # Values over MAX_PAGE_SIZE are served as MAX_PAGE_SIZE (the service clamps).
    limit: Annotated[StrictInt, Field(ge=1)] = PAGE_SIZE
    offset: Annotated[StrictInt, Field(ge=0, le=MAX_TOP_OFFSET)] = 0


class RoomIn(Payload):
    """`leave` and `typing`: just the room."""

    room: RoomSlug


class ReadIn(Payload):
    room: RoomSlug
    message_id: PositiveId


class CreateRoomIn(Payload):
    # The 1-40 rule applies after trimming: the service's business, like the slug.
    name: Annotated[Text, Field(max_length=1000)]
    topic: Annotated[Text, Field(max_length=ROOM_TOPIC_MAX_CHARS)] | None = None


class CreateTokenIn(Payload):
    # The 1-64 rule applies after trimming: the service's business.
    name: Annotated[Text, Field(max_length=1000)]


class EditIn(Payload):
    message_id: PositiveId
    # The body rules are those of `data`, checked by the service.
    body: Annotated[Text, Field(max_length=1_000_000)]


class DeleteIn(Payload):
    message_id: PositiveId
    # 1-200 characters after trimming when required: the service's business.
    reason: Annotated[Text, Field(max_length=10_000)] | None = None


class MuteIn(Payload):
    room: RoomSlug
    username: Annotated[Text, Field(min_length=1, max_length=64)]
    minutes: Annotated[StrictInt, Field(ge=1, le=MUTE_MAX_MINUTES)]
    reason: Annotated[Text, Field(max_length=10_000)]


class UnmuteIn(Payload):
    room: RoomSlug
    username: Annotated[Text, Field(min_length=1, max_length=64)]
    reason: Annotated[Text, Field(max_length=10_000)] | None = None


class RoleIn(Payload):
    # Anything: the service checks who asks (forbidden) before what is asked (invalid).
    role: Any = Field(None, json_schema_extra={"enum": ["member", "moderator"]})
    reason: Annotated[Text, Field(max_length=10_000)] | None = None


class ModerationQuery(Payload):
    """`GET /api/rooms/<slug>/moderation`: values arrive as text."""

    before: Annotated[int, Field(ge=1)] | None = None
    limit: Annotated[int, Field(ge=1)] = PAGE_SIZE


class HistoryQuery(Payload):
    """The HTTP query string form of HistoryIn, plus `around`: values arrive as text."""

    before: Annotated[int, Field(ge=1)] | None = None
    # The messages centred on this one (not with `before`).
    around: Annotated[int, Field(ge=1)] | None = None
    limit: Annotated[int, Field(ge=1)] = PAGE_SIZE

    @model_validator(mode="after")
    def _one_anchor(self) -> HistoryQuery:
        if self.before is not None and self.around is not None:
            raise PydanticCustomError("before_and_around", "before and around cannot be used together")
        return self


def _has_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be only whitespace")
    return value


class SearchQuery(Payload):
    """`GET /api/rooms/<slug>/search`: values arrive as text."""

    q: Annotated[Text, Field(min_length=1, max_length=SEARCH_QUERY_MAX_CHARS), AfterValidator(_has_text)]
    # Values over MAX_SEARCH_PAGE_SIZE are served as MAX_SEARCH_PAGE_SIZE (the service clamps).
    limit: Annotated[int, Field(ge=1)] = SEARCH_PAGE_SIZE
    cursor: Annotated[Text, Field(min_length=1, max_length=512)] | None = None


class MentionsQuery(Payload):
    """`GET /api/mentions`: values arrive as text."""

    before: Annotated[int, Field(ge=1)] | None = None
    limit: Annotated[int, Field(ge=1)] = PAGE_SIZE


class UsersQuery(Payload):
    """`GET /api/users`: the composer's @ suggestions."""

    prefix: Annotated[Text, Field(max_length=USERNAME_MAX_CHARS)] = ""
    limit: Annotated[int, Field(ge=1, le=MAX_USER_LOOKUP_SIZE)] = USER_LOOKUP_SIZE


class TopQuery(Payload):
    """The HTTP query string form of TopIn: values arrive as text."""

    window: TopWindow = "day"
    limit: Annotated[int, Field(ge=1)] = PAGE_SIZE
    offset: Annotated[int, Field(ge=0, le=MAX_TOP_OFFSET)] = 0


# Response shapes, for the OpenAPI description and the web client's types (the handlers build
# plain dicts; tests/test_schemas.py checks that these models describe them).

# A reader's vote on a message: up, none or down.
VoteValue = Literal[1, 0, -1]


class ErrorBody(BaseModel):
    code: str
    message: str
    # Present only when one field is at fault.
    field: str | SkipJsonSchema[None] = None


class ErrorOut(BaseModel):
    error: ErrorBody


class UserOut(BaseModel):
    id: int
    username: str
    email: str
    created_at: str
    role: Role


class UserPayload(BaseModel):
    user: UserOut


class MeOut(BaseModel):
    id: int
    username: str
    email: str
    role: Role


class MePayload(BaseModel):
    user: MeOut


class AuthorOut(BaseModel):
    id: int
    username: str


class MessageOut(BaseModel):
    """The message shape M."""

    id: int
    room: str
    body: str
    author: AuthorOut
    created_at: str
    upvotes: int
    downvotes: int
    score: int
    my_vote: VoteValue = Field(description="The reader's own vote; always 0 in live broadcasts.")
    client_id: str | None
    seq: int
    collapsed: bool = Field(description="The score is at or below the collapse threshold (CHATROOM_COLLAPSE_SCORE).")
    edited_at: str | None = Field(description="When the body was last edited; null when never.")
    deleted: bool = Field(description="A tombstone: body is empty and the votes are shown as 0.")
    mentions: list[str] = Field(
        description="The existing users the body names with @username, spelled as registered, in order of first "
        "appearance; empty for a tombstone."
    )


class MentionsOut(BaseModel):
    """`GET /api/mentions`: messages that mention the reader, newest first, across rooms."""

    messages: list[MessageOut]
    has_more: bool


class UserRef(BaseModel):
    id: int
    username: str


class UsersOut(BaseModel):
    """`GET /api/users`: people whose username starts with the prefix, by username."""

    users: list[UserRef]


class PageOut(BaseModel):
    """A page of history (HTTP, and the `get_previous_messages` ack)."""

    ok: Literal[True]
    messages: list[MessageOut]
    has_more: bool


class AroundOut(BaseModel):
    """`GET /api/rooms/<slug>/messages?around=<id>`: the messages centred on one, oldest first."""

    ok: Literal[True]
    messages: list[MessageOut]
    has_more: bool = Field(description="Older messages exist before the first one.")
    has_newer: bool = Field(description="Newer messages exist after the last one.")


class SearchOut(BaseModel):
    """`GET /api/rooms/<slug>/search`: a page of results, most relevant first."""

    messages: list[MessageOut]
    highlights: dict[str, list[tuple[int, int]]] = Field(
        description="Message id -> the [start, end) spans of its body that matched, in Unicode code points."
    )
    has_more: bool
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same `q`) for the next page; null at the end."
    )


class TopOut(BaseModel):
    """A page of the Top ranking (HTTP, and the `get_top` ack), in rank order."""

    ok: Literal[True]
    window: TopWindow
    messages: list[MessageOut]
    has_more: bool


class StatusOut(BaseModel):
    status: str


# Socket.IO acks and events (docs/protocol.md).


class FailedAck(BaseModel):
    ok: Literal[False]
    error: ErrorBody


class RoomOut(BaseModel):
    slug: str
    name: str


class OnlineUser(BaseModel):
    id: int
    username: str


class MuteState(BaseModel):
    until: str
    reason: str


class JoinAck(BaseModel):
    ok: Literal[True]
    room: RoomOut
    messages: list[MessageOut]
    has_more: bool
    seq: int
    reset: bool = False
    online: list[OnlineUser] = Field(
        default_factory=list, description="The people with a socket in the room, in any process, the joiner included."
    )
    muted: MuteState | None = Field(
        default=None, description="The reader's own mute in this room while it lasts, else null."
    )


class RoomSummary(BaseModel):
    """The room shape R."""

    slug: str
    name: str
    topic: str
    created_at: str
    member: bool
    unread: int
    online: int = Field(description="How many people are online in the room (the `join` ack's `online`).")
    mentions: int = Field(description="Messages mentioning the reader after their read position (as `unread`).")


class RoomsOut(BaseModel):
    rooms: list[RoomSummary]


class RoomPayload(BaseModel):
    room: RoomSummary


class OkAck(BaseModel):
    """The ack of `leave` and `typing`."""

    ok: Literal[True]


class ReadAck(BaseModel):
    ok: Literal[True]
    unread: int
    mentions: int


class UnreadEvent(BaseModel):
    """Server-to-client `unread`: the reader's count changed by their own `read` elsewhere."""

    room: str
    unread: int
    mentions: int


class MentionEvent(BaseModel):
    """Server-to-client `mention`, to every socket of a person a committed message newly mentions."""

    message: MessageOut


class PresenceEvent(BaseModel):
    """Server-to-client `presence`: who is online in the room now."""

    room: str
    online: list[OnlineUser]


class TypingEvent(BaseModel):
    """Server-to-client `typing`: someone else is typing in the room."""

    room: str
    user: OnlineUser


class SendAck(BaseModel):
    ok: Literal[True]
    message: MessageOut


class VoteTotals(BaseModel):
    message_id: int
    upvotes: int
    downvotes: int
    score: int
    seq: int
    collapsed: bool


class VoteAck(VoteTotals):
    ok: Literal[True]
    my_vote: VoteValue


class VoteEvent(VoteTotals):
    """Server-to-client `vote` event."""

    room: str


class BatchEvent(BaseModel):
    """Several changes of one room committed together, in seq order (docs/protocol.md, `batch`)."""

    room: str
    data: list[MessageOut]
    vote: list[VoteEvent]
    update: list[MessageOut] = Field(default_factory=list, description="Edited and deleted messages (`update`).")
    covers: SkipJsonSchema[None] | list[tuple[int, int]] = Field(
        default=None,
        description="Inclusive seq ranges the batch accounts for, when paced votes replaced earlier changes.",
    )


class TokenOut(BaseModel):
    """A personal API token as listed: never its secret."""

    id: int
    name: str
    created_at: str
    last_used_at: str | None = Field(description="When the token was last used (to the minute), or null if never.")


class TokensOut(BaseModel):
    tokens: list[TokenOut]


class CreatedTokenOut(BaseModel):
    """The answer to creating a token: the only time its secret is shown."""

    token: TokenOut
    secret: str = Field(description="The token's secret, starting with `chr_`. It is never shown again.")


class VersionOut(BaseModel):
    body: str
    edited_at: str | None


class VersionsOut(BaseModel):
    """`GET /api/messages/<id>/history`: every version, oldest first, the current one last."""

    versions: list[VersionOut]


class ModerationEntryOut(BaseModel):
    """The moderation log entry E."""

    id: int
    action: Literal["delete", "mute", "unmute", "role"]
    moderator: AuthorOut
    target: AuthorOut | None
    message_id: int | None
    reason: str
    until: str | None
    role: Literal["member", "moderator"] | None = Field(default=None, description="The role given (`role` entries).")
    created_at: str


class ModerationLogOut(BaseModel):
    entries: list[ModerationEntryOut]
    has_more: bool


class MutedEvent(BaseModel):
    """Server-to-client `muted`, to the muted person's own sockets."""

    room: str
    until: str
    reason: str


class UnmutedEvent(BaseModel):
    """Server-to-client `unmuted`, to the person's own sockets."""

    room: str


class MuteAck(BaseModel):
    ok: Literal[True]
    entry: ModerationEntryOut


class UnmuteAck(BaseModel):
    ok: Literal[True]
    entry: ModerationEntryOut | None = Field(description="The log entry; null when the person was not muted.")
