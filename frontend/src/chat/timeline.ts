import type { Message, Vote, VoteAck, VoteTotals } from "../api/types";
import { Observable } from "../lib/observable";
import { lowerBound, SeqTracker } from "./seqTracker";

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

/** One room's timeline as this client holds it. */
export interface ChatState {
  /**
   * Committed messages as the server sent them, ordered by id (the order of creation). Each
   * one's `seq` is that of the state held: older news about it is ignored.
   */
  messages: Message[];
  outbox: OutgoingMessage[];
  /** Which of the room's numbered changes were applied. */
  seqs: SeqTracker;
  /** Whether older messages than the first held one exist on the server. */
  hasMore: boolean;
  /**
   * Whether newer messages than the last held one exist and are not held: the reader opened
   * the room at an older message (a search result, a mention) and is not at the live end.
   * News about messages past the last one held is then left out, as news about messages
   * before the first one is, and comes with the next page of newer messages or the return to
   * the live end; its seqs still count as seen, so the watermark and gap rules hold.
   */
  hasNewer: boolean;
  /** The highest message id this room has shown us by any way, held or not. */
  newestSeen: number;
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
  seqs: SeqTracker.unjoined,
  hasMore: false,
  hasNewer: false,
  newestSeen: 0,
  joined: false,
  earlyTotals: [],
};

export type ChatAction =
  | { type: "joined"; messages: Message[]; seq: number; hasMore: boolean; replace: boolean }
  /**
   * Live news: a `data`, an `update`, a `vote` or a whole `batch`, applied at once. `messages`
   * holds new messages and edited or deleted ones alike: each is a whole M with its seq.
   */
  | { type: "broadcast"; messages: Message[]; votes: VoteTotals[]; covers: [number, number][] }
  | { type: "vote_acked"; ack: VoteAck }
  /** The ack of our own `edit` or `delete`: the message in its new state. */
  | { type: "message_acked"; message: Message }
  | { type: "older_loaded"; messages: Message[]; hasMore: boolean }
  /** A page around one message (`around`) replaces what is held: the view leaves the live end. */
  | { type: "jumped"; messages: Message[]; hasMore: boolean; hasNewer: boolean }
  /** A page after the last held message, while away from the live end. */
  | { type: "newer_loaded"; messages: Message[]; hasNewer: boolean }
  | { type: "older_forgotten"; keep: number }
  | { type: "send_started"; clientId: string; body: string; createdAt: string; online: boolean }
  | { type: "send_acked"; clientId: string; message: Message }
  | { type: "send_failed"; clientId: string; error: string }
  | { type: "send_interrupted"; clientId: string }
  | { type: "outbox_flushing"; clientIds: string[] }
  | { type: "left" };

type MyVoteSource = "reader" | "broadcast";

const byId = (message: Message) => message.id;

/** The held message with this id, found by binary search. */
export function findMessage(messages: readonly Message[], id: number): Message | undefined {
  const found = messages[lowerBound(messages, id, byId)];
  return found?.id === id ? found : undefined;
}

/**
 * Merges messages into the held list: deduplicated by id, ordered by id, and a message
 * whose seq is not newer than the state held is ignored. Broadcasts carry my_vote 0,
 * so for them the held own vote is kept. Only the incoming messages are sorted; the held
 * list is walked once from where the first of them goes, so a live message is an append.
 */
function mergeMessages(held: Message[], incoming: readonly Message[], source: MyVoteSource): Message[] {
  if (incoming.length === 0) return held;
  const newest = new Map<number, Message>();
  for (const message of incoming) {
    const seen = newest.get(message.id);
    if (seen === undefined || message.seq > seen.seq) newest.set(message.id, message);
  }
  const arriving = [...newest.values()].sort((a, b) => a.id - b.id);
  let index = lowerBound(held, (arriving[0] as Message).id, byId);
  const merged = held.slice(0, index);
  let changed = false;
  for (const message of arriving) {
    while (index < held.length && (held[index] as Message).id < message.id) merged.push(held[index++] as Message);
    const current = held[index]?.id === message.id ? held[index] : undefined;
    if (current === undefined) {
      merged.push(message);
      changed = true;
      continue;
    }
    index += 1;
    if (message.seq <= current.seq) {
      merged.push(current);
      continue;
    }
    merged.push(source === "broadcast" ? { ...message, my_vote: current.my_vote } : message);
    changed = true;
  }
  if (!changed) return held;
  for (; index < held.length; index += 1) merged.push(held[index] as Message);
  return merged;
}

/**
 * The messages of `incoming` that belong in the held list. News about a message older than
 * the first one held (an edit, a delete, a changed total in a catch-up) would leave a hole in
 * the history if it were put in, since paging back asks for what is older than the first held
 * message; it arrives in its current state when the reader pages back to it.
 */
function withinHeld(state: ChatState, incoming: readonly Message[]): readonly Message[] {
  const first = state.messages[0];
  const last = state.messages[state.messages.length - 1];
  const low = state.hasMore && first !== undefined ? first.id : -Infinity;
  // Away from the live end, a message past the last held one would leave a hole before it.
  const high = state.hasNewer && last !== undefined ? last.id : Infinity;
  if (low === -Infinity && high === Infinity) return incoming;
  const kept = incoming.filter((message) => message.id >= low && message.id <= high);
  return kept.length === incoming.length ? incoming : kept;
}

/** The highest message id among `messages` and what was seen before. */
function newestOf(seen: number, messages: readonly Message[]): number {
  let newest = seen;
  for (const message of messages) if (message.id > newest) newest = message.id;
  return newest;
}

/**
 * Whether messages newer than the last held one exist: the server said so, or a message past
 * it was seen (a broadcast left out while away from the live end, which a page fetched before
 * it was written cannot know about).
 */
function newerExist(messages: readonly Message[], serverSays: boolean, newestSeen: number): boolean {
  const last = messages[messages.length - 1];
  return serverSays || (last !== undefined && newestSeen > last.id);
}

/** Our own change, acknowledged: the message as the ack has it, its seq seen. */
function acknowledge(state: ChatState, message: Message): ChatState {
  const messages = mergeMessages(state.messages, withinHeld(state, [message]), "reader");
  return { ...state, messages, seqs: state.seqs.note(message.seq), newestSeen: Math.max(state.newestSeen, message.id) };
}

/** Drops from the outbox the entries that committed messages of ours answer. */
function settleOutbox(outbox: OutgoingMessage[], messages: readonly Message[], myId: number | null): OutgoingMessage[] {
  const answered = new Set<string>();
  for (const message of messages) {
    if (message.client_id === null) continue;
    if (myId !== null && message.author.id !== myId) continue;
    answered.add(message.client_id);
  }
  if (answered.size === 0) return outbox;
  const next = outbox.filter((item) => !answered.has(item.clientId));
  return next.length === outbox.length ? outbox : next;
}

/**
 * The message with a vote change applied: totals (and `collapsed`) when they are newer than the
 * held state, and the reader's own vote when `myVote` is given (it comes from our own ack).
 * Returns `current` itself when nothing changes.
 */
export function withTotals(current: Message, totals: VoteTotals, myVote: Vote | null): Message {
  const newer = totals.seq > current.seq;
  // A vote's ack and its broadcast share one seq; whichever comes second still settles
  // whether the message is collapsed.
  const collapsed = totals.seq >= current.seq && totals.collapsed !== current.collapsed ? totals.collapsed : undefined;
  if (!newer && collapsed === undefined && (myVote === null || myVote === current.my_vote)) return current;
  const next: Message = newer
    ? { ...current, upvotes: totals.upvotes, downvotes: totals.downvotes, score: totals.score, seq: totals.seq }
    : { ...current };
  if (collapsed !== undefined) next.collapsed = collapsed;
  // The ack is the only source of our own vote, so it applies even when a later broadcast
  // already brought newer totals.
  if (myVote !== null) next.my_vote = myVote;
  return next;
}

function applyTotals(held: Message[], totals: VoteTotals, myVote: Vote | null): Message[] {
  const index = lowerBound(held, totals.message_id, byId);
  const current = held[index];
  if (current?.id !== totals.message_id) return held;
  const next = withTotals(current, totals, myVote);
  if (next === current) return held;
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
  const ready = state.earlyTotals.filter((totals) => findMessage(state.messages, totals.message_id) !== undefined);
  if (ready.length === 0) return state;
  let messages = state.messages;
  for (const totals of ready) messages = applyTotals(messages, totals, null);
  return { ...state, messages, earlyTotals: state.earlyTotals.filter((totals) => !ready.includes(totals)) };
}

/** The chat store's reducer. `myId` is the reader's user id, used to match our own sends. */
export function chatReducer(state: ChatState, action: ChatAction, myId: number | null = null): ChatState {
  const next = reduce(state, action, myId);
  return next === state ? state : applyEarly(next);
}

function reduce(state: ChatState, action: ChatAction, myId: number | null): ChatState {
  switch (action.type) {
    case "joined": {
      const outbox = settleOutbox(state.outbox, action.messages, myId);
      const newestSeen = newestOf(state.newestSeen, action.messages);
      if (action.replace) {
        // A first join, a reset or the return to the live end: the page replaces what is
        // held. Broadcasts that arrived before the ack and are newer than it are kept, unless
        // they are older than the page (an edit of a message far back would leave a hole).
        const pageStart = action.messages[0]?.id ?? -Infinity;
        const newer = state.messages.filter((message) => message.seq > action.seq && message.id >= pageStart);
        const messages = mergeMessages(mergeMessages([], action.messages, "reader"), newer, "reader");
        return {
          ...state,
          messages,
          outbox,
          hasMore: action.hasMore,
          hasNewer: false,
          newestSeen,
          joined: true,
          seqs: state.seqs.rebase(action.seq),
        };
      }
      const messages = mergeMessages(state.messages, withinHeld(state, action.messages), "reader");
      const seqs = state.seqs.rebase(Math.max(action.seq, state.seqs.watermark ?? 0));
      // Away from the live end, a catch-up cannot bring the view there: what is past the last
      // held message was left out above.
      return { ...state, messages, outbox, joined: true, seqs, newestSeen };
    }
    case "broadcast": {
      let messages = mergeMessages(state.messages, withinHeld(state, action.messages), "broadcast");
      let { seqs, earlyTotals } = state;
      for (const message of action.messages) seqs = seqs.note(message.seq);
      for (const totals of action.votes) {
        if (findMessage(messages, totals.message_id) === undefined) earlyTotals = keepEarly(earlyTotals, totals);
        else messages = applyTotals(messages, totals, null);
        seqs = seqs.note(totals.seq);
      }
      // Paced vote totals stand for earlier changes of their message: those seqs are seen.
      for (const [first, last] of action.covers) seqs = seqs.cover(first, last);
      const outbox = settleOutbox(state.outbox, action.messages, myId);
      return { ...state, messages, outbox, seqs, earlyTotals, newestSeen: newestOf(state.newestSeen, action.messages) };
    }
    case "vote_acked": {
      const messages = applyTotals(state.messages, action.ack, action.ack.my_vote);
      return { ...state, messages, seqs: state.seqs.note(action.ack.seq) };
    }
    case "older_loaded":
      return { ...state, messages: mergeMessages(state.messages, action.messages, "reader"), hasMore: action.hasMore };
    case "jumped": {
      const page = mergeMessages([], action.messages, "reader");
      const first = page[0];
      const last = page[page.length - 1];
      if (first === undefined || last === undefined) return state;
      // What is held inside the page's span may be newer than the page (a broadcast that
      // came while it was on its way): the newer state of each message wins.
      const held = state.messages.filter((message) => message.id >= first.id && message.id <= last.id);
      const messages = mergeMessages(page, held, "reader");
      const newestSeen = newestOf(state.newestSeen, action.messages);
      return {
        ...state,
        messages,
        hasMore: action.hasMore,
        hasNewer: newerExist(messages, action.hasNewer, newestSeen),
        newestSeen,
      };
    }
    case "newer_loaded": {
      if (!state.hasNewer) return state;
      const last = state.messages[state.messages.length - 1];
      const incoming = last === undefined ? action.messages : action.messages.filter((message) => message.id >= last.id);
      const messages = mergeMessages(state.messages, incoming, "reader");
      const newestSeen = newestOf(state.newestSeen, action.messages);
      return { ...state, messages, newestSeen, hasNewer: newerExist(messages, action.hasNewer, newestSeen) };
    }
    case "older_forgotten": {
      if (state.messages.length <= action.keep) return state;
      return { ...state, messages: state.messages.slice(-action.keep), hasMore: true };
    }
    case "send_started": {
      const existing = state.outbox.find((item) => item.clientId === action.clientId);
      const status = action.online ? "pending" : "queued";
      if (existing !== undefined) {
        return { ...state, outbox: updateOutbox(state.outbox, [action.clientId], { status, error: null }) };
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
    case "message_acked":
      return acknowledge(state, action.message);
    case "send_acked": {
      const outbox = state.outbox.filter((item) => item.clientId !== action.clientId);
      return { ...acknowledge(state, action.message), outbox };
    }
    case "send_failed":
      return { ...state, outbox: updateOutbox(state.outbox, [action.clientId], { status: "failed", error: action.error }) };
    case "send_interrupted":
      return { ...state, outbox: updateOutbox(state.outbox, [action.clientId], { status: "queued", error: null }) };
    case "outbox_flushing":
      return { ...state, outbox: updateOutbox(state.outbox, action.clientIds, { status: "pending", error: null }) };
    case "left":
      return { ...state, joined: false };
  }
}

function updateOutbox(outbox: OutgoingMessage[], clientIds: string[], patch: Partial<OutgoingMessage>): OutgoingMessage[] {
  const ids = new Set(clientIds);
  return outbox.map((item) => (ids.has(item.clientId) ? { ...item, ...patch } : item));
}

/** A minimal external store, so socket handlers read the current state synchronously. */
export interface ChatStore {
  getState(): ChatState;
  dispatch(action: ChatAction): void;
  subscribe(listener: () => void): () => void;
}

export function createChatStore(myId: number | null, initial: ChatState = initialChatState): ChatStore {
  const state = new Observable(initial);
  return {
    getState: state.get,
    dispatch: (action) => state.set(chatReducer(state.get(), action, myId)),
    subscribe: state.subscribe,
  };
}
