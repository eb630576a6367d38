import { useCallback, useEffect, useState } from "react";
import { fetchModerationLog, type ModerationEntry } from "../api/moderation";

export interface ModerationLogState {
  entries: ModerationEntry[];
  hasMore: boolean;
  status: "loading" | "ready" | "failed";
  error: string | null;
  /** Loads the page of entries older than the last one shown. */
  loadMore(): void;
  /** Asks again for the page that failed (the newest one when nothing is shown yet). */
  retry(): void;
}

interface Held {
  entries: ModerationEntry[];
  hasMore: boolean;
  status: ModerationLogState["status"];
  error: string | null;
}

/** Which page is asked for: `before` the oldest entry shown, or the newest; `attempt` asks again. */
interface PageRequest {
  before: number | undefined;
  attempt: number;
}

/**
 * A room's public moderation log, newest first, paged back with `before`. The caller mounts
 * one per room (a new room is a new component).
 */
export function useModerationLog(slug: string): ModerationLogState {
  const [held, setHeld] = useState<Held>({ entries: [], hasMore: false, status: "loading", error: null });
  const [asked, setAsked] = useState<PageRequest>({ before: undefined, attempt: 0 });

  useEffect(() => {
    let cancelled = false;
    fetchModerationLog(slug, asked.before).then(
      (page) => {
        if (cancelled) return;
        setHeld((current) => {
          const known = new Set(current.entries.map((entry) => entry.id));
          const entries = [...current.entries, ...page.entries.filter((entry) => !known.has(entry.id))];
          return { entries, hasMore: page.has_more, status: "ready", error: null };
        });
      },
      (failure: unknown) => {
        if (cancelled) return;
        const error = failure instanceof Error ? failure.message : "The moderation log could not be loaded.";
        setHeld((current) => ({ ...current, status: "failed", error }));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [slug, asked]);

  const { entries, hasMore, status } = held;
  const loadMore = useCallback(() => {
    const last = entries[entries.length - 1];
    if (status !== "ready" || !hasMore || last === undefined) return;
    setHeld((current) => ({ ...current, status: "loading" }));
    setAsked((current) => ({ before: last.id, attempt: current.attempt + 1 }));
  }, [entries, hasMore, status]);

  const retry = useCallback(() => {
    setHeld((current) => ({ ...current, status: "loading", error: null }));
    setAsked((current) => ({ ...current, attempt: current.attempt + 1 }));
  }, []);

  return { ...held, loadMore, retry };
}
