// Room requests, and the wire shapes of rooms, unread counts, presence and typing
// (docs/protocol.md) under the names the client uses; the shapes are generated from the
// server's models (./generated.ts).
import { request } from "./client";
import type { JoinAck, RoomSummary } from "./generated";

export type { OnlineUser, PresenceEvent, ReadAck, TypingEvent, UnreadEvent } from "./generated";

/** The room shape R; `mentions` counts the reader's unread mentions there. */
export type Room = RoomSummary;

/**
 * The `join` ack, with the people online in the room (the joiner included) and the reader's
 * own mute there (null when not muted).
 */
export type RoomJoinAck = JoinAck;

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
