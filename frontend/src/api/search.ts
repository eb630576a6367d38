// Searching a room and opening it around a message (docs/protocol.md).
import { request } from "./client";
import type { Message } from "./types";

/**
 * A page of search results, ranked by the server. `highlights` maps a message id to the
 * matched ranges of its body as [start, end) offsets in Unicode code points.
 */
export interface SearchPage {
  messages: Message[];
  highlights: Record<string, [number, number][]>;
  has_more: boolean;
  next_cursor: string | null;
}

/** The messages around one, oldest first: older ones exist when `has_more`, newer when `has_newer`. */
export interface AroundPage {
  messages: Message[];
  has_more: boolean;
  has_newer: boolean;
}

export const SEARCH_PAGE_SIZE = 20;
export const AROUND_PAGE_SIZE = 50;
/** The server's bounds on a query (400 `invalid` outside them). */
export const SEARCH_QUERY_MAX = 200;

const roomPath = (slug: string) => `/api/rooms/${encodeURIComponent(slug)}`;

/** One page of a room's messages matching `query`; `cursor` continues a previous page. */
export async function searchRoom(slug: string, query: string, cursor?: string | null, limit = SEARCH_PAGE_SIZE): Promise<SearchPage> {
  const params = new URLSearchParams({ q: query, limit: String(limit) });
  if (cursor !== undefined && cursor !== null) params.set("cursor", cursor);
  return request<SearchPage>("GET", `${roomPath(slug)}/search?${params.toString()}`);
}

/** The room's messages centred on `messageId`; an ApiError 404 when there is no such message. */
export async function fetchAround(slug: string, messageId: number, limit = AROUND_PAGE_SIZE): Promise<AroundPage> {
  const params = new URLSearchParams({ around: String(messageId), limit: String(limit) });
  return request<AroundPage>("GET", `${roomPath(slug)}/messages?${params.toString()}`);
}
