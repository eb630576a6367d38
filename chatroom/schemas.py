"""Payload schemas, validated at the edge (HTTP bodies and Socket.IO events)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr
from pydantic.json_schema import SkipJsonSchema

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


class HistoryQuery(Payload):
    """The HTTP query string form of HistoryIn: values arrive as text."""

    before: Annotated[int, Field(ge=1)] | None = None
    limit: Annotated[int, Field(ge=1)] = PAGE_SIZE


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


class UserPayload(BaseModel):
    user: UserOut


class MeOut(BaseModel):
    id: int
    username: str
    email: str


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


class PageOut(BaseModel):
    """A page of history (HTTP, and the `get_previous_messages` ack)."""

    ok: Literal[True]
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


class RoomSummary(BaseModel):
    """The room shape R."""

    slug: str
    name: str
    topic: str
    created_at: str
    member: bool
    unread: int
    online: int = Field(description="How many people are online in the room (the `join` ack's `online`).")


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


class UnreadEvent(BaseModel):
    """Server-to-client `unread`: the reader's count changed by their own `read` elsewhere."""

    room: str
    unread: int


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
