// Searching a room and opening it around a message (docs/protocol.md); the shapes and limits
// are generated from the server's models (./generated.ts).
import { request } from "./client";
import { PAGE_SIZE, SEARCH_PAGE_SIZE, SEARCH_QUERY_MAX_CHARS, type AroundOut, type SearchOut } from "./generated";

/**
 * A page of search results, ranked by the server. `highlights` maps a message id to the
 * matched ranges of its body as [start, end) offsets in Unicode code points.
 */
export type SearchPage = SearchOut;

/** The messages around one, oldest first: older ones exist when `has_more`, newer when `has_newer`. */
export type AroundPage = AroundOut;

export { SEARCH_PAGE_SIZE };
/** Messages in a page around one: a history page's worth. */
export const AROUND_PAGE_SIZE = PAGE_SIZE;
/** The longest query, in code points (400 `invalid` past it). */
export const SEARCH_QUERY_MAX = SEARCH_QUERY_MAX_CHARS;

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
