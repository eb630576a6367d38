// Wire shapes from docs/protocol.md. Fields may be added by the server; none are removed.

export interface User {
  id: number;
  username: string;
  email: string;
  created_at?: string;
}

export interface Author {
  id: number;
  username: string;
}

/** The message shape M. */
export interface Message {
  id: number;
  room: string;
  body: string;
  author: Author;
  created_at: string;
  upvotes: number;
  downvotes: number;
  score: number;
  /** The reader's own vote; always 0 in live broadcasts. */
  my_vote: Vote;
  client_id: string | null;
  seq: number;
}

export type Vote = 1 | 0 | -1;

export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
}

export interface FailedAck {
  ok: false;
  error: ErrorBody;
}

export interface JoinAck {
  ok: true;
  room: { slug: string; name: string };
  messages: Message[];
  has_more: boolean;
  seq: number;
  reset?: boolean;
}

export interface SendAck {
  ok: true;
  message: Message;
}

export interface VoteTotals {
  message_id: number;
  upvotes: number;
  downvotes: number;
  score: number;
  seq: number;
}

export interface VoteAck extends VoteTotals {
  ok: true;
  my_vote: Vote;
}

/** Server→client `vote` event. */
export interface VoteEvent extends VoteTotals {
  room: string;
}

/** Several changes of one room committed together, in seq order (docs/protocol.md, `batch`). */
export interface BatchEvent {
  room: string;
  data: Message[];
  vote: VoteEvent[];
  /** Inclusive seq ranges the batch accounts for, when paced votes replaced earlier changes. */
  covers?: [number, number][];
}

export interface HistoryAck {
  ok: true;
  messages: Message[];
  has_more: boolean;
}
