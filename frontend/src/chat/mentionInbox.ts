import type { MentionEvent, MentionsPage } from "../api/mentions";
import type { Message } from "../api/types";
import { Observable } from "../lib/observable";
import { listen, type ChatSocket } from "../socket/socket";

export interface MentionState {
  /** The reader's latest mentions in every room, newest first. */
  items: Message[];
  status: "loading" | "ready" | "failed";
  hasMore: boolean;
  loadingMore: boolean;
  /** Mentions newer than the last the reader saw (opening the list sees them). */
  unseen: number;
}

/** Where the newest mention seen is kept, so a reload does not count old ones as new. */
export interface SeenStore {
  get(): number;
  set(messageId: number): void;
}

export interface MentionInboxOptions {
  socket: ChatSocket;
  myId: number;
  /** Fetches a page of mentions (GET /api/mentions), older than `before` when given. */
  loadPage: (before?: number) => Promise<MentionsPage>;
  seen: SeenStore;
}

const MAX_ITEMS = 500;

function countUnseen(items: readonly Message[], seen: number): number {
  return items.filter((message) => message.id > seen).length;
}

/**
 * The reader's mentions: the latest page from the server, then every `mention` event, newest
 * first. Loaded again after a reconnect, as missed events are not replayed.
 */
export class MentionInbox {
  readonly state = new Observable<MentionState>({ items: [], status: "loading", hasMore: false, loadingMore: false, unseen: 0 });
  /** The latest mention that arrived live and was not seen before (for notifications). */
  readonly arrived = new Observable<Message | null>(null);
  private readonly options: MentionInboxOptions;
  private stop: (() => void) | null = null;
  private loads = 0;

  constructor(options: MentionInboxOptions) {
    this.options = options;
  }

  start(): void {
    if (this.stop !== null) return;
    const { socket } = this.options;
    let connectedBefore = socket.connected;
    this.stop = listen(socket, {
      connect: () => {
        if (connectedBefore) void this.reload();
        connectedBefore = true;
      },
      mention: (event: MentionEvent) => this.receive(event.message),
    });
    void this.reload();
  }

  close(): void {
    this.stop?.();
    this.stop = null;
  }

  readonly reload = async (): Promise<void> => {
    const load = ++this.loads;
    try {
      const page = await this.options.loadPage();
      if (load !== this.loads || this.stop === null) return;
      // Live mentions newer than the page (it was read before they came) stay.
      const newest = page.messages[0]?.id ?? 0;
      const live = this.state.get().items.filter((message) => message.id > newest);
      const items = [...live, ...page.messages];
      this.state.set({ items, status: "ready", hasMore: page.has_more, loadingMore: false, unseen: countUnseen(items, this.options.seen.get()) });
    } catch {
      if (load !== this.loads || this.stop === null) return;
      const current = this.state.get();
      this.state.set({ ...current, status: current.status === "ready" ? "ready" : "failed" });
    }
  };

  readonly loadMore = async (): Promise<void> => {
    const current = this.state.get();
    const oldest = current.items[current.items.length - 1];
    if (current.loadingMore || !current.hasMore || oldest === undefined) return;
    this.state.set({ ...current, loadingMore: true });
    try {
      const page = await this.options.loadPage(oldest.id);
      const held = this.state.get();
      const known = new Set(held.items.map((message) => message.id));
      const items = [...held.items, ...page.messages.filter((message) => !known.has(message.id))];
      this.state.set({ ...held, items, hasMore: page.has_more, loadingMore: false });
    } catch {
      this.state.set({ ...this.state.get(), loadingMore: false });
    }
  };

  /** The reader opened the list: everything in it is seen. */
  readonly markSeen = (): void => {
    const current = this.state.get();
    const newest = current.items[0]?.id ?? 0;
    if (newest > this.options.seen.get()) this.options.seen.set(newest);
    if (current.unseen !== 0) this.state.set({ ...current, unseen: 0 });
  };

  private receive(message: Message): void {
    if (message.author.id === this.options.myId) return;
    const current = this.state.get();
    const index = current.items.findIndex((item) => item.id === message.id);
    if (index >= 0) {
      // The same message again (an edit that still names the reader): newer state only.
      const held = current.items[index] as Message;
      if (message.seq <= held.seq) return;
      const items = [...current.items];
      items[index] = message;
      this.state.set({ ...current, items });
      return;
    }
    const items = [message, ...current.items].sort((a, b) => b.id - a.id).slice(0, MAX_ITEMS);
    const fresh = message.id > this.options.seen.get();
    this.state.set({ ...current, items, unseen: current.unseen + (fresh ? 1 : 0) });
    if (fresh) this.arrived.set(message);
  }
}

/** The newest mention seen, kept in localStorage per user (0 when storage is unavailable). */
export function localSeenStore(userId: number): SeenStore {
  const key = `chatroom.mentionsSeen.${userId}`;
  return {
    get: () => {
      try {
        const value = Number(window.localStorage.getItem(key));
        return Number.isFinite(value) ? value : 0;
      } catch {
        return 0;
      }
    },
    set: (messageId) => {
      try {
        window.localStorage.setItem(key, String(messageId));
      } catch {
        // Private mode or full storage: the count is then only right for this page.
      }
    },
  };
}
