// Wire shapes from docs/protocol.md, under the names the client uses. They are generated from
// the server's models (./generated.ts, scripts/generate). Fields may be added by the server;
// none are removed.
import type {
  AuthorOut,
  BatchEvent as BatchEventOut,
  MeOut,
  MessageOut,
  PageOut,
  UserOut,
  VoteEvent as VoteEventOut,
  VoteTotals as VoteTotalsOut,
} from "./generated";

export type { ErrorBody, FailedAck, JoinAck, SendAck, VoteAck } from "./generated";

/** Who is logged in: `/api/me` leaves out `created_at`, sign-up and log-in include it. */
export type User = MeOut & Partial<Pick<UserOut, "created_at">>;

export type Author = AuthorOut;

/**
 * The message shape M. `collapsed`: the room voted it down to the collapse threshold or below
 * (absent from servers older than the Top view, which never collapse anything).
 */
export type Message = MessageOut & { collapsed?: boolean };

export type Vote = Message["my_vote"];

/** A message's totals after a change, as votes, acks and broadcasts carry them. */
export type VoteTotals = VoteTotalsOut & { collapsed?: boolean };

/** Server-to-client `vote`. */
export type VoteEvent = VoteEventOut & { collapsed?: boolean };

/** Server-to-client `batch`: several changes of one room, in seq order. */
export type BatchEvent = Omit<BatchEventOut, "data" | "vote"> & { data: Message[]; vote: VoteEvent[] };

export type HistoryAck = PageOut;

/** The time windows of the Top view. */
export type TopWindow = "hour" | "day" | "week" | "all";

/** A page of the room's ranking (`get_top` and `GET /api/rooms/<slug>/top`), in rank order. */
export interface TopPage {
  ok: true;
  window: TopWindow;
  messages: Message[];
  has_more: boolean;
}
