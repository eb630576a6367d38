import type { PresenceEvent, ReadAck, Room, UnreadEvent } from "../api/rooms";
import type { BatchEvent, Message } from "../api/types";
import type { MentionEvent } from "../api/mentions";
import { Observable } from "../lib/observable";
import { listen, type ChatSocket } from "../socket/socket";
import { ACK_TIMEOUT_MS } from "./roomSession";

export interface DirectoryState {
  /** Every public room known here: the reader's own first, then the others, each by name. */
  rooms: Room[];
  status: "loading" | "ready" | "failed";
}

export interface RoomDirectoryOptions {
  socket: ChatSocket;
  /** The reader's user id: their own messages never count as unread. */
  myId: number;
  /** Fetches the room list (GET /api/rooms). */
  loadRooms: () => Promise<Room[]>;
}

const byName = (a: Room, b: Room) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" }) || a.slug.localeCompare(b.slug);

/** The order of GET /api/rooms: members first, then the others, each group by name ignoring case. */
export function sortRooms(rooms: Room[]): Room[] {
  return [...rooms.filter((room) => room.member).sort(byName), ...rooms.filter((room) => !room.member).sort(byName)];
}

/**
 * The room list with its unread and online counts, kept current over the tab's socket.
 *
 * Counts start from GET /api/rooms and are loaded again on every reconnect (catch-up joins
 * deliver missed messages in acks, not broadcasts, so only the server knows what was missed).
 * In between, a `data` broadcast by someone else in a room not in view adds one; `read`
 * (sent when the reader sees a room's newest message) and `unread` (the reader's other tabs)
 * set a room's count; `presence` sets its online count.
 */
export class RoomDirectory {
  readonly state = new Observable<DirectoryState>({ rooms: [], status: "loading" });
  private readonly socket: ChatSocket;
  private readonly myId: number;
  private readonly loadRooms: () => Promise<Room[]>;
  private current: string | null = null;
  /** Per room, the highest message id counted, so a message seen twice counts once. */
  private readonly counted = new Map<string, number>();
  /** The mentions counted, by message id, so a mention seen twice (an edit) counts once. */
  private readonly mentionsCounted = new Set<number>();
  /** Per room, the highest message id sent in `read`: the position never moves backwards. */
  private readonly readSent = new Map<string, number>();
  private stop: (() => void) | null = null;
  private loads = 0;

  constructor({ socket, myId, loadRooms }: RoomDirectoryOptions) {
    this.socket = socket;
    this.myId = myId;
    this.loadRooms = loadRooms;
  }

  start(): void {
    if (this.stop !== null) return;
    let connectedBefore = this.socket.connected;
    this.stop = listen(this.socket, {
      connect: () => {
        if (connectedBefore) void this.reload();
        connectedBefore = true;
      },
      data: (message: Message) => this.count([message]),
      batch: (batch: BatchEvent) => this.count(batch.data ?? []),
      unread: (event: UnreadEvent) => this.update(event.room, { unread: event.unread, mentions: event.mentions }),
      mention: (event: MentionEvent) => this.countMention(event.message),
      presence: (event: PresenceEvent) => this.update(event.room, { online: event.online.length }),
    });
    void this.reload();
  }

  close(): void {
    this.stop?.();
    this.stop = null;
  }

  /** Loads the list again; the counts in it replace those held. */
  readonly reload = async (): Promise<void> => {
    const load = ++this.loads;
    try {
      const rooms = await this.loadRooms();
      if (load !== this.loads || this.stop === null) return;
      this.state.set({ rooms: sortRooms(rooms), status: "ready" });
    } catch {
      if (load !== this.loads || this.stop === null) return;
      this.state.set({ ...this.state.get(), status: this.state.get().status === "ready" ? "ready" : "failed" });
    }
  }

  /** The room in view: its messages are seen as they come, so they do not count as unread. */
  setCurrent(slug: string | null): void {
    this.current = slug;
  }

  /** Adds a room (created, or opened by link) or replaces the one held with the same slug. */
  upsert(room: Room): void {
    const others = this.state.get().rooms.filter((held) => held.slug !== room.slug);
    this.state.set({ ...this.state.get(), rooms: sortRooms([...others, room]) });
  }

  /** A join succeeded: the reader is a member now. */
  markMember(slug: string): void {
    const room = this.find(slug);
    if (room !== undefined && !room.member) this.upsert({ ...room, member: true });
  }

  find(slug: string): Room | undefined {
    return this.state.get().rooms.find((room) => room.slug === slug);
  }

  /**
   * The reader sees `messageId`, the newest message of `slug`: records it as read. The count
   * drops to zero at once; the ack's count (messages that arrived meanwhile) replaces it.
   */
  readonly markRead = (slug: string, messageId: number): void => {
    if (!this.socket.connected || messageId <= (this.readSent.get(slug) ?? 0)) return;
    this.readSent.set(slug, messageId);
    this.update(slug, { unread: 0, mentions: 0 });
    this.socket.timeout(ACK_TIMEOUT_MS).emit("read", { room: slug, message_id: messageId }, (err, response) => {
      const ack = response as ReadAck | undefined;
      if (err === null && ack?.ok === true) {
        this.update(slug, { unread: ack.unread, mentions: ack.mentions });
        return;
      }
      // Not recorded: let the next sighting send it again.
      if (this.readSent.get(slug) === messageId) this.readSent.delete(slug);
    });
  }

  private count(messages: Message[]): void {
    const added = new Map<string, number>();
    for (const message of messages) {
      if (message.room === this.current || message.author.id === this.myId) continue;
      if (message.id <= (this.counted.get(message.room) ?? 0)) continue;
      this.counted.set(message.room, message.id);
      added.set(message.room, (added.get(message.room) ?? 0) + 1);
    }
    for (const [slug, more] of added) {
      const room = this.find(slug);
      if (room !== undefined) this.update(slug, { unread: room.unread + more });
    }
  }

  /** A `mention` of the reader in a room not in view adds one to its mention count. */
  private countMention(message: Message): void {
    if (message.room === this.current || message.author.id === this.myId || this.mentionsCounted.has(message.id)) return;
    this.mentionsCounted.add(message.id);
    const room = this.find(message.room);
    if (room !== undefined) this.update(message.room, { mentions: room.mentions + 1 });
  }

  private update(slug: string, change: Partial<Pick<Room, "unread" | "online" | "mentions">>): void {
    const { rooms } = this.state.get();
    const index = rooms.findIndex((room) => room.slug === slug);
    const room = rooms[index];
    if (room === undefined) return;
    if (Object.entries(change).every(([key, value]) => room[key as keyof Room] === value)) return;
    const next = [...rooms];
    next[index] = { ...room, ...change };
    this.state.set({ ...this.state.get(), rooms: next });
  }
}
