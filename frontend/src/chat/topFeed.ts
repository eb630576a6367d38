import { MAX_PAGE_SIZE } from "../api/generated";
import type { Message, TopPage, TopWindow, Vote, VoteTotals } from "../api/types";
import { Observable } from "../lib/observable";
import type { ChatSocket } from "../socket/socket";
import { ACK_TIMEOUT_MS, failureMessage, isFailed } from "./acks";
import { compareRank, movesToRank, type Ranked } from "./ranking";
import { withTotals } from "./timeline";

/** The windows the Top view offers, in the order of its select. */
export const TOP_WINDOWS: readonly { value: TopWindow; label: string }[] = [
  { value: "hour", label: "Hour" },
  { value: "day", label: "Day" },
  { value: "week", label: "Week" },
  { value: "all", label: "All time" },
];

/** The window the server uses when none is asked for. */
export const DEFAULT_TOP_WINDOW: TopWindow = "day";

const WINDOW_MS: Record<TopWindow, number> = {
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  all: Number.POSITIVE_INFINITY,
};

/** Messages asked for per page of the ranking. */
export const TOP_PAGE_SIZE = 50;

/** Messages not shown whose totals are remembered, to tell when one would enter the view. */
const MAX_OUTSIDE = 1_000;

export interface TopState {
  window: TopWindow;
  /**
   * The ranking as shown. Its order changes only when the reader asks (a window, or the
   * updates pill); news changes the numbers of the messages in place.
   */
  messages: Message[];
  hasMore: boolean;
  /**
   * idle: never opened; waiting: asked for while offline (it loads on the next connect);
   * loading: the first page is on its way; ready: shown; failed: the first page was refused.
   */
  status: "idle" | "waiting" | "loading" | "ready" | "failed";
  /** A further page ("more") or the new order ("refresh") is on its way. */
  busy: "more" | "refresh" | null;
  /** Why the last request failed, for the reader. */
  error: string | null;
  /** How many messages the ranking would move or bring in if it were applied now. */
  updates: number;
  /** Goes up each time the order is replaced, so the list knows to re-anchor its scroll. */
  generation: number;
}

export const initialTopState: TopState = {
  window: DEFAULT_TOP_WINDOW,
  messages: [],
  hasMore: false,
  status: "idle",
  busy: null,
  error: null,
  updates: 0,
  generation: 0,
};

interface OutsideMessage extends Ranked {
  seq: number;
  /** When it was written, if known: a message outside the window never enters it. */
  createdAt: string | undefined;
}

export interface TopFeedOptions {
  socket: ChatSocket;
  room: string;
  /** A message the room's timeline holds: tells when a voted message not shown was written. */
  lookup?: (id: number) => Message | undefined;
  /** The clock, for the window's start; tests pass their own. */
  now?: () => number;
}

interface RankingSlice {
  messages: Message[];
  hasMore: boolean;
}

class TopRequestError extends Error {
  constructor(
    message: string,
    readonly offline: boolean,
  ) {
    super(message);
  }
}

/**
 * One room's Top view: pages of the ranking over the shared socket (`get_top`), and the news
 * about them. The order shown never changes by itself. Vote news updates the numbers of the
 * messages shown in place and counts how many would move or enter (`updates`); the reader
 * applies the new order with `applyUpdates`, which fetches the ranking again.
 *
 * The room's RoomSession owns it and hands it the news it receives, so it outlives the view
 * and a room shown again keeps its window, its order and its count.
 */
export class TopFeed {
  readonly state = new Observable<TopState>(initialTopState);
  private readonly socket: ChatSocket;
  private readonly room: string;
  private readonly lookup: (id: number) => Message | undefined;
  private readonly now: () => number;
  /** The latest request's number: answers to earlier ones are dropped. */
  private request = 0;
  private inFlight = false;
  /** Vote news that came while a page was on its way, applied to the page when it comes. */
  private readonly meanwhile = new Map<number, { totals: VoteTotals; myVote: Vote | null }>();
  private readonly outside = new Map<number, OutsideMessage>();

  constructor({ socket, room, lookup, now }: TopFeedOptions) {
    this.socket = socket;
    this.room = room;
    this.lookup = lookup ?? (() => undefined);
    this.now = now ?? Date.now;
  }

  /** The view is shown: loads the first page unless it has one. */
  readonly open = (): void => {
    const { status, window } = this.state.get();
    if (status === "idle" || status === "failed") this.load(window);
  };

  /** Shows another window, from its first page. */
  readonly setWindow = (window: TopWindow): void => {
    const state = this.state.get();
    if (window !== state.window || state.status === "failed" || state.status === "idle") this.load(window);
  };

  /** Loads the current window again from its first page (after a failure). */
  readonly reload = (): void => {
    this.load(this.state.get().window);
  };

  /** The socket (re)connected: a page asked for while offline is asked for now. */
  connected(): void {
    const { status, window } = this.state.get();
    if (status === "waiting") this.load(window);
  }

  /** Appends the next page of the ranking. */
  readonly loadMore = (): void => {
    const state = this.state.get();
    if (state.status !== "ready" || !state.hasMore || state.busy !== null) return;
    const id = this.begin();
    this.set({ busy: "more", error: null });
    this.fetchPage(state.window, state.messages.length, (page) => {
      if (!this.settle(id)) return;
      if (page instanceof TopRequestError) {
        this.set({ busy: null, error: `More messages could not be loaded: ${page.message}` });
        return;
      }
      // The ranking may have changed since the pages before: a message already shown stays
      // where it is.
      const current = this.state.get();
      const shown = new Set(current.messages.map((message) => message.id));
      const added = this.withMeanwhile(page.messages).filter((message) => !shown.has(message.id));
      for (const message of added) this.outside.delete(message.id);
      const messages = [...current.messages, ...added];
      this.set({ messages, hasMore: page.hasMore, busy: null, updates: this.count(messages, page.hasMore, current.window) });
    });
  };

  /**
   * Applies the new order: fetches the ranking again, as far down as the reader had loaded.
   * The list keeps the reader's place (see TopList).
   */
  readonly applyUpdates = (): void => {
    const state = this.state.get();
    if (state.status !== "ready" || state.busy !== null) return;
    const id = this.begin();
    this.set({ busy: "refresh", error: null });
    const count = Math.max(TOP_PAGE_SIZE, state.messages.length);
    this.fetchRanking(state.window, 0, count, (page) => {
      if (!this.settle(id)) return;
      if (page instanceof TopRequestError) this.set({ busy: null, error: `The new order could not be loaded: ${page.message}` });
      else this.replace(state.window, page.messages, page.hasMore);
    });
  };

  /**
   * Vote totals from a broadcast (`myVote` null) or from the reader's own ack: the numbers of a
   * message shown change in place; the order does not.
   */
  noteTotals(list: readonly VoteTotals[], myVote: Vote | null): void {
    if (list.length === 0) return;
    if (this.inFlight) {
      for (const totals of list) {
        const seen = this.meanwhile.get(totals.message_id);
        const newest = seen === undefined || totals.seq >= seen.totals.seq ? totals : seen.totals;
        this.meanwhile.set(totals.message_id, { totals: newest, myVote: myVote ?? seen?.myVote ?? null });
      }
    }
    const state = this.state.get();
    if (state.status !== "ready") return;
    let messages = state.messages;
    let outsideChanged = false;
    for (const totals of list) {
      const index = messages.findIndex((message) => message.id === totals.message_id);
      const current = messages[index];
      if (current === undefined) {
        const known = this.lookup(totals.message_id);
        outsideChanged = this.noteOutside({ ...totals, id: totals.message_id, createdAt: known?.created_at }) || outsideChanged;
        continue;
      }
      const next = withTotals(current, totals, myVote);
      if (next === current) continue;
      if (messages === state.messages) messages = messages.slice();
      messages[index] = next;
    }
    if (messages !== state.messages || outsideChanged) {
      this.set({ messages, updates: this.count(messages, state.hasMore, state.window) });
    }
  }

  /**
   * Whole messages: live ones (`data`, with my_vote 0) or a catch-up join's (with the reader's
   * own vote). A message shown takes its newer numbers; another may enter the ranking.
   */
  noteMessages(list: readonly Message[], source: "reader" | "broadcast"): void {
    const state = this.state.get();
    if (list.length === 0 || state.status !== "ready") return;
    let messages = state.messages;
    let outsideChanged = false;
    for (const message of list) {
      const index = messages.findIndex((shown) => shown.id === message.id);
      const current = messages[index];
      if (current === undefined) {
        outsideChanged = this.noteOutside({ ...message, createdAt: message.created_at }) || outsideChanged;
        continue;
      }
      const totals: VoteTotals = { ...message, message_id: message.id };
      const next = withTotals(current, totals, source === "reader" ? message.my_vote : null);
      if (next === current) continue;
      if (messages === state.messages) messages = messages.slice();
      messages[index] = next;
    }
    if (messages !== state.messages || outsideChanged) {
      this.set({ messages, updates: this.count(messages, state.hasMore, state.window) });
    }
  }

  private load(window: TopWindow): void {
    const id = this.begin();
    this.outside.clear();
    if (!this.socket.connected) {
      this.inFlight = false;
      this.set({ window, messages: [], hasMore: false, status: "waiting", busy: null, error: null, updates: 0 });
      return;
    }
    this.set({ window, messages: [], hasMore: false, status: "loading", busy: null, error: null, updates: 0 });
    this.fetchPage(window, 0, (page) => {
      if (!this.settle(id)) return;
      if (!(page instanceof TopRequestError)) this.replace(window, page.messages, page.hasMore);
      else if (page.offline) this.set({ status: "waiting" });
      else this.set({ status: "failed", error: `The top messages could not be loaded: ${page.message}` });
    });
  }

  /** A new order from the server replaces the one shown. */
  private replace(window: TopWindow, page: Message[], hasMore: boolean): void {
    this.outside.clear();
    const messages = this.withMeanwhile(page);
    const { generation } = this.state.get();
    this.set({
      window,
      messages,
      hasMore,
      status: "ready",
      busy: null,
      error: null,
      updates: this.count(messages, hasMore, window),
      generation: generation + 1,
    });
  }

  private begin(): number {
    this.request += 1;
    this.inFlight = true;
    this.meanwhile.clear();
    return this.request;
  }

  /** Whether the answer to request `id` is still wanted (no later request replaced it). */
  private settle(id: number): boolean {
    if (id !== this.request) return false;
    this.inFlight = false;
    return true;
  }

  /** A page with the vote news that came while it was on its way. */
  private withMeanwhile(page: Message[]): Message[] {
    if (this.meanwhile.size === 0) return page;
    const messages = page.map((message) => {
      const news = this.meanwhile.get(message.id);
      return news === undefined ? message : withTotals(message, news.totals, news.myVote);
    });
    this.meanwhile.clear();
    return messages;
  }

  /** Remembers the newest totals of a message not shown; says whether anything changed. */
  private noteOutside(message: OutsideMessage): boolean {
    const seen = this.outside.get(message.id);
    if (seen !== undefined && seen.seq >= message.seq) return false;
    this.outside.delete(message.id);
    this.outside.set(message.id, { ...message, createdAt: message.createdAt ?? seen?.createdAt });
    if (this.outside.size > MAX_OUTSIDE) {
      const oldest = this.outside.keys().next().value;
      if (oldest !== undefined) this.outside.delete(oldest);
    }
    return true;
  }

  /**
   * The changes applying the ranking would bring: messages shown that would move, and
   * messages of the window not shown that would come in above the last one shown (any of
   * them when the whole window is shown).
   */
  private count(messages: readonly Message[], hasMore: boolean, window: TopWindow): number {
    const last = messages[messages.length - 1];
    const since = this.now() - WINDOW_MS[window];
    let entering = 0;
    for (const message of this.outside.values()) {
      if (window !== "all" && (message.createdAt === undefined || Date.parse(message.createdAt) < since)) continue;
      if (!hasMore || last === undefined || compareRank(message, last) < 0) entering += 1;
    }
    return movesToRank(messages) + entering;
  }

  /** Asks for one page of the ranking from `offset`. */
  private fetchPage(window: TopWindow, offset: number, done: (result: RankingSlice | TopRequestError) => void): void {
    this.ask(window, offset, TOP_PAGE_SIZE, (page) => done(page instanceof TopRequestError ? page : { messages: page.messages, hasMore: page.has_more }));
  }

  /**
   * Asks for `count` messages of the ranking from `offset`, one page of at most MAX_PAGE_SIZE
   * after the other, and calls `done` with them or with the first failure.
   */
  private fetchRanking(window: TopWindow, offset: number, count: number, done: (result: RankingSlice | TopRequestError) => void): void {
    const messages: Message[] = [];
    const next = (): void => {
      this.ask(window, offset + messages.length, Math.min(MAX_PAGE_SIZE, count - messages.length), (page) => {
        if (page instanceof TopRequestError) {
          done(page);
          return;
        }
        messages.push(...page.messages);
        if (messages.length < count && page.has_more && page.messages.length > 0) next();
        else done({ messages, hasMore: page.has_more });
      });
    };
    next();
  }

  private ask(window: TopWindow, offset: number, limit: number, answer: (page: TopPage | TopRequestError) => void): void {
    if (!this.socket.connected) {
      answer(new TopRequestError("You are offline.", true));
      return;
    }
    const payload = { room: this.room, window, limit, offset };
    this.socket.timeout(ACK_TIMEOUT_MS).emit("get_top", payload, (err, response) => {
      if (err !== null) answer(new TopRequestError("No answer from the server.", !this.socket.connected));
      else if (isFailed(response)) answer(new TopRequestError(failureMessage(response), false));
      else answer(response as TopPage);
    });
  }

  private set(patch: Partial<TopState>): void {
    this.state.set({ ...this.state.get(), ...patch });
  }
}
