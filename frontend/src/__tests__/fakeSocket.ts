import type { AckCallback, ChatSocket, Listener } from "../socket/socket";
import type { Message } from "../api/types";

export interface Emitted {
  event: string;
  payload: unknown;
  ack: AckCallback;
  answered: boolean;
}

/**
 * A stand-in for socket.io-client's Socket: it records what the app emits and lets a test play
 * the server (connect, drop, answer acks, broadcast events).
 */
export class FakeSocket implements ChatSocket {
  connected = false;
  active = true;
  connectCalls = 0;
  disconnectCalls = 0;
  readonly emitted: Emitted[] = [];
  private readonly listeners = new Map<string, Set<Listener>>();

  on(event: string, listener: Listener): this {
    const set = this.listeners.get(event) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(event, set);
    return this;
  }

  off(event: string, listener: Listener): this {
    this.listeners.get(event)?.delete(listener);
    return this;
  }

  timeout(): { emit(event: string, payload: unknown, ack: AckCallback): unknown } {
    return {
      emit: (event, payload, ack) => {
        this.emitted.push({ event, payload, ack, answered: false });
        return this;
      },
    };
  }

  connect(): this {
    this.connectCalls += 1;
    return this;
  }

  /** Like socket.io-client: a connected socket tells its listeners it was closed here. */
  disconnect(): this {
    this.disconnectCalls += 1;
    if (this.connected) {
      this.connected = false;
      this.fire("disconnect", "io client disconnect");
    }
    return this;
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  /** Delivers a server→client event (or a reserved one such as "connect"). */
  fire(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      (listener as (...a: unknown[]) => void)(...args);
    }
  }

  serverAccepts(): void {
    this.connected = true;
    this.fire("connect");
  }

  /** The connection drops: like socket.io-client, unanswered acks fail with an error. */
  serverDrops(): void {
    this.connected = false;
    this.fire("disconnect", "transport close");
    for (const item of this.emitted) {
      if (!item.answered) {
        item.answered = true;
        item.ack(new Error("socket has been disconnected"));
      }
    }
  }

  /** The unanswered emits of one event, oldest first. */
  pending(event: string): Emitted[] {
    return this.emitted.filter((item) => item.event === event && !item.answered);
  }

  all(event: string): Emitted[] {
    return this.emitted.filter((item) => item.event === event);
  }

  /** Answers the oldest unanswered emit of `event`. */
  answer(event: string, response: unknown): Emitted {
    const item = this.pending(event)[0];
    if (item === undefined) throw new Error(`nothing emitted for ${event}`);
    item.answered = true;
    item.ack(null, response);
    return item;
  }

  timeoutOldest(event: string): void {
    const item = this.pending(event)[0];
    if (item === undefined) throw new Error(`nothing emitted for ${event}`);
    item.answered = true;
    item.ack(new Error("operation has timed out"));
  }
}

let nextCreated = Date.parse("2026-11-28T10:00:00Z");

/** Builds a message M as the server sends it. */
export function makeMessage(overrides: Partial<Message> & { id: number }): Message {
  nextCreated += 1000;
  return {
    room: "general",
    body: `message ${overrides.id}`,
    author: { id: 2, username: "bob" },
    created_at: new Date(nextCreated).toISOString(),
    upvotes: 0,
    downvotes: 0,
    score: 0,
    my_vote: 0,
    client_id: null,
    edited_at: null,
    deleted: false,
    seq: overrides.id,
    collapsed: false,
    mentions: [],
    ...overrides,
  };
}
