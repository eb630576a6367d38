// Wire shapes from docs/protocol.md, under the names the client uses. They are generated from
// the server's models (./generated.ts, scripts/generate). Fields may be added by the server;
// none are removed.
import type { AuthorOut, BatchEvent, MeOut, MessageOut, PageOut, UserOut } from "./generated";

export type {
  BatchEvent,
  ErrorBody,
  FailedAck,
  JoinAck,
  SendAck,
  VoteAck,
  VoteEvent,
  VoteTotals,
} from "./generated";

/** What an account may do: moderators and admins delete any message and mute people. */
export type Role = "member" | "moderator" | "admin";

/**
 * Who is logged in: `/api/me` leaves out `created_at`, sign-up and log-in include it. `role`
 * is optional here so that a server without roles reads as a member.
 */
export type User = MeOut & Partial<Pick<UserOut, "created_at">> & { role?: Role };

export type Author = AuthorOut;

/**
 * The message shape M. `edited_at` is the time of the latest edit (null when never edited);
 * a deleted message is a tombstone with an empty body and no votes shown.
 */
export type Message = MessageOut & { edited_at?: string | null; deleted?: boolean };

export type Vote = Message["my_vote"];

export type HistoryAck = PageOut;

/** A `batch` event, with the messages edited or deleted in that commit (`update`). */
export type Batch = Omit<BatchEvent, "data"> & { data: Message[]; update?: Message[] };

/** The ack of `edit` and `delete`: the message in its new state. */
export interface MessageAck {
  ok: true;
  message: Message;
}

/** The reader's mute in a room, as the `join` ack's `muted` has it. */
export interface MuteInfo {
  until: string;
  reason: string;
}

/** Server-to-client `muted`: the reader may not send in `room` until `until`. */
export interface MutedEvent extends MuteInfo {
  room: string;
}

/** Server-to-client `unmuted`: a moderator lifted the reader's mute in `room`. */
export interface UnmutedEvent {
  room: string;
}
