import type { Author, Message, Vote, VoteAck, VoteTotals } from "../api/types";

/** A message the server has committed, in the state this client holds. */
export interface HeldMessage {
  id: number;
  body: string;
  author: Author;
  createdAt: string;
  upvotes: number;
  downvotes: number;
  score: number;
  myVote: Vote;
  clientId: string | null;
  /** The room seq of the state held; older broadcasts about this message are ignored. */
  seq: number;
}

/**
 * A message written here and not yet acknowledged.
 * queued: written while offline, sent on the next connect.
 * pending: sent, waiting for the ack.
 * failed: the server refused it or did not answer; the person may retry.
 */
export interface OutgoingMessage {
  clientId: string;
  body: string;
  createdAt: string;
  status: "queued" | "pending" | "failed";
  error: string | null;
}

export interface ChatState {
  /** Held messages, ordered by id (which is the order of creation). */
  messages: HeldMessage[];
  outbox: OutgoingMessage[];
  /** Highest room seq applied with nothing missing below it; null before the first join. */
  watermark: number | null;
  /** Seqs above the watermark already applied, waiting for the gap below them to fill. */
  seenAbove: number[];
  /** Whether older messages than the first held one exist on the server. */
  hasMore: boolean;
  joined: boolean;
  /**
   * Vote totals that arrived for a message not held yet. With several server processes a
   * message's `data` can arrive after a newer `vote` about it; the totals wait here and
   * apply when the message comes, so it is not left at its older state.
   */
  earlyTotals: VoteTotals[];
}

/** Votes on messages never loaded here (old history) would otherwise pile up. */
const MAX_EARLY_TOTALS = 500;

export const initialChatState: ChatState = {
  messages: [],
  outbox: [],
  watermark: null,
  seenAbove: [],
  hasMore: false,
  joined: false,
  earlyTotals: [],
};

export type ChatAction =
  | { type: "joined"; messages: Message[]; seq: number; hasMore: boolean; replace: boolean }
  | { type: "message_received"; message: Message }
  | { type: "vote_received"; totals: VoteTotals }
  | { type: "vote_acked"; ack: VoteAck }
  | { type: "seqs_covered"; ranges: [number, number][] }
  | { type: "older_loaded"; messages: Message[]; hasMore: boolean }
  | { type: "send_started"; clientId: string; body: string; createdAt: string; online: boolean }
  | { type: "send_acked"; clientId: string; message: Message }
  | { type: "send_failed"; clientId: string; error: string }
  | { type: "send_interrupted"; clientId: string }
  | { type: "outbox_flushing"; clientIds: string[] }
  | { type: "left" };

export function toHeld(message: Message): HeldMessage {
  return {
    id: message.id,
    body: message.body,
    author: message.author,
    createdAt: message.created_at,
    upvotes: message.upvotes,
    downvotes: message.downvotes,
    score: message.score,
    myVote: message.my_vote,
    clientId: message.client_id,
    seq: message.seq,
  };
}

type MyVoteSource = "reader" | "broadcast";

/**
 * Merges messages into the held list: deduplicated by id, ordered by id, and a message
 * whose seq is not newer than the state held is ignored. Broadcasts carry my_vote 0,
 * so for them the held own vote is kept.
 */
function mergeMessages(held: HeldMessage[], incoming: Message[], source: MyVoteSource): HeldMessage[] {
  if (incoming.length === 0) return held;
  const byId = new Map<number, HeldMessage>();
  for (const message of held) byId.set(message.id, message);
  let changed = false;
  for (const message of incoming) {
    const current = byId.get(message.id);
    if (current !== undefined && message.seq <= current.seq) continue;
    const next = toHeld(message);
    if (current !== undefined && source === "broadcast") next.myVote = current.myVote;
    byId.set(message.id, next);
    changed = true;
  }
  if (!changed) return held;
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** Records that the change numbered `seq` was applied and advances the watermark over any filled gap. */
function noteSeq(state: ChatState, seq: number): Pick<ChatState, "watermark" | "seenAbove"> {
  if (state.watermark === null) {
    // Before the first join ack there is no base yet; the ack's seq settles it.
    return { watermark: null, seenAbove: insertSorted(state.seenAbove, seq) };
  }
  if (seq <= state.watermark) return { watermark: state.watermark, seenAbove: state.seenAbove };
  return advance(state.watermark, insertSorted(state.seenAbove, seq));
}

function insertSorted(list: number[], value: number): number[] {
  if (list.includes(value)) return list;
  return [...list, value].sort((a, b) => a - b);
}

function advance(watermark: number, seenAbove: number[]): Pick<ChatState, "watermark" | "seenAbove"> {
  let mark = watermark;
  const rest: number[] = [];
  for (const seq of seenAbove) {
    if (seq <= mark) continue;
    if (seq === mark + 1) mark = seq;
    else rest.push(seq);
  }
  return { watermark: mark, seenAbove: rest };
}

/** Drops from the outbox the entry that a committed message of ours answers. */
function settleOutbox(outbox: OutgoingMessage[], message: Message, myId: number | null): OutgoingMessage[] {
  if (message.client_id === null) return outbox;
  if (myId !== null && message.author.id !== myId) return outbox;
  const next = outbox.filter((item) => item.clientId !== message.client_id);
  return next.length === outbox.length ? outbox : next;
}

function applyTotals(held: HeldMessage[], totals: VoteTotals, myVote: Vote | null): HeldMessage[] {
  const index = held.findIndex((message) => message.id === totals.message_id);
  if (index < 0) return held;
  const current = held[index] as HeldMessage;
  const newer = totals.seq > current.seq;
  if (!newer && (myVote === null || myVote === current.myVote)) return held;
  const next: HeldMessage = newer
    ? { ...current, upvotes: totals.upvotes, downvotes: totals.downvotes, score: totals.score, seq: totals.seq }
    : { ...current };
  // The ack is the only source of our own vote, so it applies even when a later broadcast
  // already brought newer totals.
  if (myVote !== null) next.myVote = myVote;
  const copy = held.slice();
  copy[index] = next;
  return copy;
}

/** Keeps totals for a message not held yet (the newest per message, a bounded number). */
function keepEarly(early: VoteTotals[], totals: VoteTotals): VoteTotals[] {
  const existing = early.find((item) => item.message_id === totals.message_id);
  if (existing !== undefined && existing.seq >= totals.seq) return early;
  const rest = early.filter((item) => item.message_id !== totals.message_id);
  return [...rest, totals].slice(-MAX_EARLY_TOTALS);
}

/** Applies waiting totals to messages that are now held. */
function applyEarly(state: ChatState): ChatState {
  if (state.earlyTotals.length === 0) return state;
  const held = new Set(state.messages.map((message) => message.id));
  const ready = state.earlyTotals.filter((totals) => held.has(totals.message_id));
  if (ready.length === 0) return state;
  let messages = state.messages;
  for (const totals of ready) messages = applyTotals(messages, totals, null);
  return { ...state, messages, earlyTotals: state.earlyTotals.filter((totals) => !held.has(totals.message_id)) };
}

/** The chat store's reducer. `myId` is the reader's user id, used to match our own sends. */
export function chatReducer(state: ChatState, action: ChatAction, myId: number | null = null): ChatState {
  const next = reduce(state, action, myId);
  return next === state ? state : applyEarly(next);
}

function reduce(state: ChatState, action: ChatAction, myId: number | null): ChatState {
  switch (action.type) {
    case "joined": {
      if (action.replace) {
        // A first join or a reset: the page replaces what is held. Broadcasts that arrived
        // before the ack and are newer than it are kept.
        const newer = state.messages.filter((message) => message.seq > action.seq);
        const page = mergeMessages([], action.messages, "reader");
        const messages = mergeMessages(page, newer.map(fromHeld), "reader");
        const outbox = action.messages.reduce((box, message) => settleOutbox(box, message, myId), state.outbox);
        return {
          ...state,
          messages,
          outbox,
          hasMore: action.hasMore,
          joined: true,
          ...advance(action.seq, state.seenAbove),
        };
      }
      const messages = mergeMessages(state.messages, action.messages, "reader");
      const outbox = action.messages.reduce((box, message) => settleOutbox(box, message, myId), state.outbox);
      const base = Math.max(action.seq, state.watermark ?? 0);
      return { ...state, messages, outbox, joined: true, ...advance(base, state.seenAbove) };
    }
    case "message_received": {
      const messages = mergeMessages(state.messages, [action.message], "broadcast");
      const outbox = settleOutbox(state.outbox, action.message, myId);
      const marks = noteSeq(state, action.message.seq);
      return { ...state, messages, outbox, ...marks };
    }
    case "vote_received": {
      const held = state.messages.some((message) => message.id === action.totals.message_id);
      const messages = held ? applyTotals(state.messages, action.totals, null) : state.messages;
      const earlyTotals = held ? state.earlyTotals : keepEarly(state.earlyTotals, action.totals);
      return { ...state, messages, earlyTotals, ...noteSeq(state, action.totals.seq) };
    }
    case "seqs_covered": {
      // Paced vote totals stand for earlier changes of their message: those seqs are seen.
      let marks: Pick<ChatState, "watermark" | "seenAbove"> = state;
      for (const [first, last] of action.ranges) {
        for (let seq = first; seq <= last; seq += 1) marks = noteSeq({ ...state, ...marks }, seq);
      }
      return { ...state, ...marks };
    }
    case "vote_acked": {
      const messages = applyTotals(state.messages, action.ack, action.ack.my_vote);
      return { ...state, messages, ...noteSeq(state, action.ack.seq) };
    }
    case "older_loaded": {
      return {
        ...state,
        messages: mergeMessages(state.messages, action.messages, "reader"),
        hasMore: action.hasMore,
      };
    }
    case "send_started": {
      const existing = state.outbox.find((item) => item.clientId === action.clientId);
      const status = action.online ? "pending" : "queued";
      if (existing !== undefined) {
        return { ...state, outbox: updateOutbox(state.outbox, action.clientId, { status, error: null }) };
      }
      const item: OutgoingMessage = {
        clientId: action.clientId,
        body: action.body,
        createdAt: action.createdAt,
        status,
        error: null,
      };
      return { ...state, outbox: [...state.outbox, item] };
    }
    case "send_acked": {
      const messages = mergeMessages(state.messages, [action.message], "reader");
      const outbox = state.outbox.filter((item) => item.clientId !== action.clientId);
      return { ...state, messages, outbox, ...noteSeq(state, action.message.seq) };
    }
    case "send_failed":
      return { ...state, outbox: updateOutbox(state.outbox, action.clientId, { status: "failed", error: action.error }) };
    case "send_interrupted":
      return { ...state, outbox: updateOutbox(state.outbox, action.clientId, { status: "queued", error: null }) };
    case "outbox_flushing": {
      const ids = new Set(action.clientIds);
      return {
        ...state,
        outbox: state.outbox.map((item) => (ids.has(item.clientId) ? { ...item, status: "pending", error: null } : item)),
      };
    }
    case "left":
      return { ...state, joined: false };
  }
}

function updateOutbox(outbox: OutgoingMessage[], clientId: string, patch: Partial<OutgoingMessage>): OutgoingMessage[] {
  return outbox.map((item) => (item.clientId === clientId ? { ...item, ...patch } : item));
}

function fromHeld(message: HeldMessage): Message {
  return {
    id: message.id,
    room: "",
    body: message.body,
    author: message.author,
    created_at: message.createdAt,
    upvotes: message.upvotes,
    downvotes: message.downvotes,
    score: message.score,
    my_vote: message.myVote,
    client_id: message.clientId,
    seq: message.seq,
  };
}

/** A minimal external store, so socket handlers read the current state synchronously. */
export interface ChatStore {
  getState(): ChatState;
  dispatch(action: ChatAction): void;
  subscribe(listener: () => void): () => void;
}

export function createChatStore(myId: number | null, initial: ChatState = initialChatState): ChatStore {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(action) {
      const next = chatReducer(state, action, myId);
      if (next === state) return;
      state = next;
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
