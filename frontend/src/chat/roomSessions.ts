import type { RoomJoinAck } from "../api/rooms";
import type { ChatSocket } from "../socket/socket";
import { RoomSession } from "./roomSession";

export interface RoomSessionsOptions {
  socket: ChatSocket;
  myId: number;
  makeClientId?: () => string;
  /** Called after each successful join of any room. */
  onJoined?: (slug: string, ack: RoomJoinAck) => void;
}

/**
 * The tab's open rooms: one RoomSession per room, created on first use and kept joined until
 * the page closes, so a room left and opened again still has its timeline, its outbox and
 * what arrived meanwhile, without loading anything again.
 */
export class RoomSessions {
  private readonly sessions = new Map<string, RoomSession>();
  private readonly options: RoomSessionsOptions;

  constructor(options: RoomSessionsOptions) {
    this.options = options;
  }

  /** The room's session, made if there was none; it joins once opened. */
  get(slug: string): RoomSession {
    let session = this.sessions.get(slug);
    if (session === undefined) {
      const { socket, myId, makeClientId, onJoined } = this.options;
      session = new RoomSession({ socket, room: slug, myId, makeClientId, onJoined: (ack) => onJoined?.(slug, ack) });
      this.sessions.set(slug, session);
    }
    return session;
  }

  /** The room's session, started (joined) if it was not yet. */
  open(slug: string): RoomSession {
    const session = this.get(slug);
    session.start();
    return session;
  }

  has(slug: string): boolean {
    return this.sessions.has(slug);
  }

  /** Stops every session (the socket stays for the caller to close). */
  closeAll(): void {
    for (const session of this.sessions.values()) session.close();
  }
}
