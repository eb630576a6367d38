// Wire shapes from docs/protocol.md, under the names the client uses. They are generated from
// the server's models (./generated.ts, scripts/generate). Fields may be added by the server;
// none are removed.
import type { AuthorOut, MeOut, MessageOut, PageOut, SendAck, TopOut, UserOut } from "./generated";

export type {
  BatchEvent,
  ErrorBody,
  FailedAck,
  JoinAck,
  MutedEvent,
  SendAck,
  UnmutedEvent,
  VoteAck,
  VoteEvent,
  VoteTotals,
} from "./generated";

/** Who is logged in: `/api/me` leaves out `created_at`, sign-up and log-in include it. */
export type User = MeOut & Partial<Pick<UserOut, "created_at">>;

/** What an account may do: moderators and admins delete any message and mute people. */
export type Role = User["role"];

export type Author = AuthorOut;

/**
 * The message shape M. `edited_at` is the time of the latest edit (null when never edited);
 * a deleted message is a tombstone with an empty body and no votes shown. `mentions` lists the
 * existing users the body names with @username, spelled as registered.
 */
export type Message = MessageOut;

export type Vote = Message["my_vote"];

export type HistoryAck = PageOut;

/** A page of the room's ranking (`get_top` and `GET /api/rooms/<slug>/top`), in rank order. */
export type TopPage = TopOut;

/** The time windows of the Top view. */
export type TopWindow = TopOut["window"];
/** The ack of `edit` and `delete`: the message in its new state (the shape of `data`'s ack). */
export type MessageAck = SendAck;
