// Wire shapes from docs/protocol.md, under the names the client uses. They are generated from
// the server's models (./generated.ts, scripts/generate). Fields may be added by the server;
// none are removed.
import type { AuthorOut, MeOut, MessageOut, PageOut, TopOut, UserOut } from "./generated";

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

/** Who is logged in: `/api/me` leaves out `created_at`, sign-up and log-in include it. */
export type User = MeOut & Partial<Pick<UserOut, "created_at">>;

export type Author = AuthorOut;

/** The message shape M. */
export type Message = MessageOut;

export type Vote = Message["my_vote"];

export type HistoryAck = PageOut;

/** A page of the room's ranking (`get_top` and `GET /api/rooms/<slug>/top`), in rank order. */
export type TopPage = TopOut;

/** The time windows of the Top view. */
export type TopWindow = TopOut["window"];
