import { ApiError } from "../api/client";
import { SEARCH_QUERY_MAX, type SearchPage } from "../api/search";
import type { Message } from "../api/types";
import { Observable } from "../lib/observable";

export interface SearchState {
  /** The query whose results are shown ("" before any search). */
  query: string;
  status: "idle" | "loading" | "ready" | "failed";
  /** Ranked as the server returns them, pages appended. */
  results: Message[];
  /** Per message id, the matched ranges of its body in code points (docs/protocol.md). */
  highlights: Record<string, [number, number][]>;
  nextCursor: string | null;
  hasMore: boolean;
  loadingMore: boolean;
  error: string | null;
}

export const idleSearch: SearchState = {
  query: "",
  status: "idle",
  results: [],
  highlights: {},
  nextCursor: null,
  hasMore: false,
  loadingMore: false,
  error: null,
};

export type SearchFetcher = (room: string, query: string, cursor: string | null) => Promise<SearchPage>;

function describe(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "invalid") return `The search was refused: ${error.message}`;
    if (error.status === 0) return "Cannot reach the server: the search did not run.";
    return `The search failed: ${error.message}`;
  }
  return "The search failed.";
}

/**
 * One room's message search: a query's ranked results, page after page (the server's
 * `next_cursor`). A newer query makes the answers of older ones be ignored.
 */
export class MessageSearch {
  readonly state = new Observable<SearchState>(idleSearch);
  private readonly room: string;
  private readonly fetchPage: SearchFetcher;
  private generation = 0;

  constructor(room: string, fetchPage: SearchFetcher) {
    this.room = room;
    this.fetchPage = fetchPage;
  }

  /** Runs `query` (trimmed); a query that is empty or too long is refused here, not sent. */
  readonly search = async (query: string): Promise<void> => {
    const generation = ++this.generation;
    const trimmed = query.trim();
    if (trimmed === "") {
      this.state.set({ ...idleSearch, query: trimmed, status: "failed", error: "Type something to search for." });
      return;
    }
    if (Array.from(trimmed).length > SEARCH_QUERY_MAX) {
      this.state.set({ ...idleSearch, query: trimmed, status: "failed", error: `A search is at most ${SEARCH_QUERY_MAX} characters.` });
      return;
    }
    this.state.set({ ...idleSearch, query: trimmed, status: "loading" });
    try {
      const page = await this.fetchPage(this.room, trimmed, null);
      if (generation !== this.generation) return;
      this.state.set({
        ...idleSearch,
        query: trimmed,
        status: "ready",
        results: page.messages,
        highlights: page.highlights,
        nextCursor: page.next_cursor,
        hasMore: page.has_more && page.next_cursor !== null,
      });
    } catch (error) {
      if (generation !== this.generation) return;
      this.state.set({ ...idleSearch, query: trimmed, status: "failed", error: describe(error) });
    }
  };

  /** The next page of the current query's results. */
  readonly loadMore = async (): Promise<void> => {
    const current = this.state.get();
    if (current.status !== "ready" || !current.hasMore || current.loadingMore || current.nextCursor === null) return;
    const generation = this.generation;
    this.state.set({ ...current, loadingMore: true, error: null });
    try {
      const page = await this.fetchPage(this.room, current.query, current.nextCursor);
      if (generation !== this.generation) return;
      const held = this.state.get();
      const known = new Set(held.results.map((message) => message.id));
      this.state.set({
        ...held,
        results: [...held.results, ...page.messages.filter((message) => !known.has(message.id))],
        highlights: { ...held.highlights, ...page.highlights },
        nextCursor: page.next_cursor,
        hasMore: page.has_more && page.next_cursor !== null,
        loadingMore: false,
      });
    } catch (error) {
      if (generation !== this.generation) return;
      this.state.set({ ...this.state.get(), loadingMore: false, error: describe(error) });
    }
  };

  /** Closes the results. */
  readonly clear = (): void => {
    this.generation += 1;
    this.state.set(idleSearch);
  };
}
