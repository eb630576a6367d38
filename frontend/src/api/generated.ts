// Written by scripts/generate from chatroom/schemas.py: do not edit by hand.
// The protocol's limits and the wire shapes (docs/protocol.md), as the server defines them.

/** Longest message body, in characters after trimming. */
export const BODY_MAX_CHARS = 4000;
/** Shortest username. */
export const USERNAME_MIN_CHARS = 3;
/** Longest username. */
export const USERNAME_MAX_CHARS = 32;
/** What a username may contain (a regular expression). */
export const USERNAME_PATTERN = "^[A-Za-z0-9_-]{3,32}$";
/** Shortest password, in characters (code points). */
export const PASSWORD_MIN_CHARS = 10;
/** Longest password, in characters (code points). */
export const PASSWORD_MAX_CHARS = 256;
/** Messages in a history page when no limit is asked for. */
export const PAGE_SIZE = 50;
/** The most messages one history page holds. */
export const MAX_PAGE_SIZE = 100;
/** The deepest `offset` a Top page may start at. */
export const MAX_TOP_OFFSET = 10000;
/** The longest search query `q`, in characters. */
export const SEARCH_QUERY_MAX_CHARS = 200;
/** Results in a search page when no limit is asked for. */
export const SEARCH_PAGE_SIZE = 20;
/** The most results one search page holds. */
export const MAX_SEARCH_PAGE_SIZE = 50;
/** Longest room name, in characters after trimming. */
export const ROOM_NAME_MAX_CHARS = 40;
/** Longest room slug. */
export const ROOM_SLUG_MAX_CHARS = 40;
/** Longest room topic. */
export const ROOM_TOPIC_MAX_CHARS = 200;
/** The server broadcasts at most one `typing` per person per room in this many seconds. */
export const TYPING_INTERVAL_SECONDS = 3;
/** How long a client shows a typing indicator after the last one. */
export const TYPING_SHOW_SECONDS = 6;
/** How every personal API token's secret starts. */
export const TOKEN_PREFIX = "chr_";
/** Longest token name, in characters after trimming. */
export const TOKEN_NAME_MAX_CHARS = 64;
/** The most tokens a person holds that are not revoked. */
export const MAX_LIVE_TOKENS = 20;
/** Longest moderation reason, in characters after trimming. */
export const REASON_MAX_CHARS = 200;
/** The longest mute, in minutes (30 days). */
export const MUTE_MAX_MINUTES = 43200;
/** People in an @ suggestion list when no limit is asked for. */
export const USER_LOOKUP_SIZE = 10;
/** The most people one @ suggestion list holds. */
export const MAX_USER_LOOKUP_SIZE = 20;

export interface WireShapes {
  ErrorBody: ErrorBody;
  FailedAck: FailedAck;
  MeOut: MeOut;
  UserOut: UserOut;
  AuthorOut: AuthorOut;
  MessageOut: MessageOut;
  RoomOut: RoomOut;
  JoinAck: JoinAck;
  SendAck: SendAck;
  VoteTotals: VoteTotals;
  VoteAck: VoteAck;
  VoteEvent: VoteEvent;
  BatchEvent: BatchEvent;
  PageOut: PageOut;
  AroundOut: AroundOut;
  SearchOut: SearchOut;
  TopOut: TopOut;
  OnlineUser: OnlineUser;
  RoomSummary: RoomSummary;
  RoomsOut: RoomsOut;
  RoomPayload: RoomPayload;
  OkAck: OkAck;
  ReadAck: ReadAck;
  UnreadEvent: UnreadEvent;
  PresenceEvent: PresenceEvent;
  TypingEvent: TypingEvent;
  TokenOut: TokenOut;
  TokensOut: TokensOut;
  CreatedTokenOut: CreatedTokenOut;
  MuteState: MuteState;
  VersionOut: VersionOut;
  VersionsOut: VersionsOut;
  ModerationEntryOut: ModerationEntryOut;
  ModerationLogOut: ModerationLogOut;
  MutedEvent: MutedEvent;
  UnmutedEvent: UnmutedEvent;
  MuteAck: MuteAck;
  UnmuteAck: UnmuteAck;
  MentionEvent: MentionEvent;
  MentionsOut: MentionsOut;
  UserRef: UserRef;
  UsersOut: UsersOut;
}
export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
}
export interface FailedAck {
  ok: false;
  error: ErrorBody;
}
export interface MeOut {
  id: number;
  username: string;
  email: string;
  role: "member" | "moderator" | "admin";
}
export interface UserOut {
  id: number;
  username: string;
  email: string;
  created_at: string;
  role: "member" | "moderator" | "admin";
}
export interface AuthorOut {
  id: number;
  username: string;
}
/**
 * The message shape M.
 */
export interface MessageOut {
  id: number;
  room: string;
  body: string;
  author: AuthorOut;
  created_at: string;
  upvotes: number;
  downvotes: number;
  score: number;
  /**
   * The reader's own vote; always 0 in live broadcasts.
   */
  my_vote: 1 | 0 | -1;
  client_id: string | null;
  seq: number;
  /**
   * The score is at or below the collapse threshold (CHATROOM_COLLAPSE_SCORE).
   */
  collapsed: boolean;
  /**
   * When the body was last edited; null when never.
   */
  edited_at: string | null;
  /**
   * A tombstone: body is empty and the votes are shown as 0.
   */
  deleted: boolean;
  /**
   * The existing users the body names with @username, spelled as registered, in order of first appearance; empty for a tombstone.
   */
  mentions: string[];
}
export interface RoomOut {
  slug: string;
  name: string;
}
export interface JoinAck {
  ok: true;
  room: RoomOut;
  messages: MessageOut[];
  has_more: boolean;
  seq: number;
  reset?: boolean;
  /**
   * The people with a socket in the room, in any process, the joiner included.
   */
  online?: OnlineUser[];
  /**
   * The reader's own mute in this room while it lasts, else null.
   */
  muted?: MuteState | null;
}
export interface OnlineUser {
  id: number;
  username: string;
}
export interface MuteState {
  until: string;
  reason: string;
}
export interface SendAck {
  ok: true;
  message: MessageOut;
}
export interface VoteTotals {
  message_id: number;
  upvotes: number;
  downvotes: number;
  score: number;
  seq: number;
  collapsed: boolean;
}
export interface VoteAck {
  message_id: number;
  upvotes: number;
  downvotes: number;
  score: number;
  seq: number;
  collapsed: boolean;
  ok: true;
  my_vote: 1 | 0 | -1;
}
/**
 * Server-to-client `vote` event.
 */
export interface VoteEvent {
  message_id: number;
  upvotes: number;
  downvotes: number;
  score: number;
  seq: number;
  collapsed: boolean;
  room: string;
}
/**
 * Several changes of one room committed together, in seq order (docs/protocol.md, `batch`).
 */
export interface BatchEvent {
  room: string;
  data: MessageOut[];
  vote: VoteEvent[];
  /**
   * Edited and deleted messages (`update`).
   */
  update?: MessageOut[];
  /**
   * Inclusive seq ranges the batch accounts for, when paced votes replaced earlier changes.
   */
  covers?: [number, number][];
}
/**
 * A page of history (HTTP, and the `get_previous_messages` ack).
 */
export interface PageOut {
  ok: true;
  messages: MessageOut[];
  has_more: boolean;
}
/**
 * `GET /api/rooms/<slug>/messages?around=<id>`: the messages centred on one, oldest first.
 */
export interface AroundOut {
  ok: true;
  messages: MessageOut[];
  /**
   * Older messages exist before the first one.
   */
  has_more: boolean;
  /**
   * Newer messages exist after the last one.
   */
  has_newer: boolean;
}
/**
 * `GET /api/rooms/<slug>/search`: a page of results, most relevant first.
 */
export interface SearchOut {
  messages: MessageOut[];
  /**
   * Message id -> the [start, end) spans of its body that matched, in Unicode code points.
   */
  highlights: {
    [k: string]: [number, number][];
  };
  has_more: boolean;
  /**
   * Pass as `cursor` (with the same `q`) for the next page; null at the end.
   */
  next_cursor: string | null;
}
/**
 * A page of the Top ranking (HTTP, and the `get_top` ack), in rank order.
 */
export interface TopOut {
  ok: true;
  window: "hour" | "day" | "week" | "all";
  messages: MessageOut[];
  has_more: boolean;
}
/**
 * The room shape R.
 */
export interface RoomSummary {
  slug: string;
  name: string;
  topic: string;
  created_at: string;
  member: boolean;
  unread: number;
  /**
   * How many people are online in the room (the `join` ack's `online`).
   */
  online: number;
  /**
   * Messages mentioning the reader after their read position (as `unread`).
   */
  mentions: number;
}
export interface RoomsOut {
  rooms: RoomSummary[];
}
export interface RoomPayload {
  room: RoomSummary;
}
/**
 * The ack of `leave` and `typing`.
 */
export interface OkAck {
  ok: true;
}
export interface ReadAck {
  ok: true;
  unread: number;
  mentions: number;
}
/**
 * Server-to-client `unread`: the reader's count changed by their own `read` elsewhere.
 */
export interface UnreadEvent {
  room: string;
  unread: number;
  mentions: number;
}
/**
 * Server-to-client `presence`: who is online in the room now.
 */
export interface PresenceEvent {
  room: string;
  online: OnlineUser[];
}
/**
 * Server-to-client `typing`: someone else is typing in the room.
 */
export interface TypingEvent {
  room: string;
  user: OnlineUser;
}
/**
 * A personal API token as listed: never its secret.
 */
export interface TokenOut {
  id: number;
  name: string;
  created_at: string;
  /**
   * When the token was last used (to the minute), or null if never.
   */
  last_used_at: string | null;
}
export interface TokensOut {
  tokens: TokenOut[];
}
/**
 * The answer to creating a token: the only time its secret is shown.
 */
export interface CreatedTokenOut {
  token: TokenOut;
  /**
   * The token's secret, starting with `chr_`. It is never shown again.
   */
  secret: string;
}
export interface VersionOut {
  body: string;
  edited_at: string | null;
}
/**
 * `GET /api/messages/<id>/history`: every version, oldest first, the current one last.
 */
export interface VersionsOut {
  versions: VersionOut[];
}
/**
 * The moderation log entry E.
 */
export interface ModerationEntryOut {
  id: number;
  action: "delete" | "mute" | "unmute" | "role";
  moderator: AuthorOut;
  target: AuthorOut | null;
  message_id: number | null;
  reason: string;
  until: string | null;
  /**
   * The role given (`role` entries).
   */
  role?: ("member" | "moderator") | null;
  created_at: string;
}
export interface ModerationLogOut {
  entries: ModerationEntryOut[];
  has_more: boolean;
}
/**
 * Server-to-client `muted`, to the muted person's own sockets.
 */
export interface MutedEvent {
  room: string;
  until: string;
  reason: string;
}
/**
 * Server-to-client `unmuted`, to the person's own sockets.
 */
export interface UnmutedEvent {
  room: string;
}
export interface MuteAck {
  ok: true;
  entry: ModerationEntryOut;
}
export interface UnmuteAck {
  ok: true;
  /**
   * The log entry; null when the person was not muted.
   */
  entry: ModerationEntryOut | null;
}
/**
 * Server-to-client `mention`, to every socket of a person a committed message newly mentions.
 */
export interface MentionEvent {
  message: MessageOut;
}
/**
 * `GET /api/mentions`: messages that mention the reader, newest first, across rooms.
 */
export interface MentionsOut {
  messages: MessageOut[];
  has_more: boolean;
}
export interface UserRef {
  id: number;
  username: string;
}
/**
 * `GET /api/users`: people whose username starts with the prefix, by username.
 */
export interface UsersOut {
  users: UserRef[];
}
