// Wire shapes of rooms, unread counts, presence and typing, as docs/protocol.md states them.
// Written by hand until the server's models generate them into ./generated.ts.
import type { AuthorOut, JoinAck } from "./generated";
import { request } from "./client";

/** Someone online in a room, or typing in it. */
export type OnlineUser = AuthorOut;

/** The room shape R. */
export interface Room {
  slug: string;
  name: string;
  topic: string;
  created_at: string;
  /** Whether the reader is a member (has joined it). */
  member: boolean;
  /** Messages by others above the reader's read position. */
  unread: number;
  /** How many people are online in the room. */
  online: number;
}

/** The `join` ack, with the people online in the room (the joiner included). */
export type RoomJoinAck = JoinAck & { online?: OnlineUser[] };

/** Broadcast to a room when the set of people online in it changes. */
export interface PresenceEvent {
  room: string;
  online: OnlineUser[];
}

/** Broadcast to the others in a room when someone types in it. */
export interface TypingEvent {
  room: string;
  user: OnlineUser;
}

/** Sent to the reader's other sockets when their own `read` changed a room's count. */
export interface UnreadEvent {
  room: string;
  unread: number;
}

export interface LeaveAck {
  ok: true;
}

export interface ReadAck {
  ok: true;
  unread: number;
}

export interface TypingAck {
  ok: true;
}

/** Every public room: the reader's own first, then the others, each group by name. */
export async function fetchRooms(): Promise<Room[]> {
  const { rooms } = await request<{ rooms: Room[] }>("GET", "/api/rooms");
  return rooms;
}

/** One room by slug; an ApiError with status 404 when there is none. */
export async function fetchRoom(slug: string): Promise<Room> {
  const { room } = await request<{ room: Room }>("GET", `/api/rooms/${encodeURIComponent(slug)}`);
  return room;
}

export interface NewRoom {
  name: string;
  topic?: string;
}

/** Creates a public room; the creator is a member. */
export async function createRoom(input: NewRoom): Promise<Room> {
  const { room } = await request<{ room: Room }>("POST", "/api/rooms", input);
  return room;
}
