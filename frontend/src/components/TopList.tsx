import { useLayoutEffect, useRef } from "react";
import type { TopState } from "../chat/topFeed";
import { MessageItem } from "./MessageItem";

interface TopListProps {
  state: TopState;
  myId: number;
  /** The reader's username: their mentions stand out. */
  username?: string;
  now: number;
  canVote: boolean;
  onVote(messageId: number, direction: "upvote" | "downvote"): void;
  revealed: ReadonlySet<number>;
  onReveal(messageId: number): void;
  onLoadMore(): void;
  /** Applies the new order (the list keeps the reader's place). */
  onApplyUpdates(): void;
  onReload(): void;
  /** Where the reader was when this room's Top was last shown; the list opens there. */
  savedTop?: number;
  /** Called as the list goes away, with where the reader was. */
  onSaveTop?(top: number): void;
}

/** How close to the end (in px) counts as reaching it. */
const EDGE = 64;

/** Where the top-most message in view was, to put it back there after a re-ranking. */
interface Anchor {
  id: number;
  /** Its top edge, in px below the top of the scroller. */
  offset: number;
}

function findAnchor(scroller: HTMLElement): Anchor | null {
  const top = scroller.getBoundingClientRect().top;
  for (const item of scroller.querySelectorAll<HTMLElement>("[data-message-id]")) {
    const box = item.getBoundingClientRect();
    if (box.bottom > top) return { id: Number(item.dataset.messageId), offset: box.top - top };
  }
  return null;
}

/**
 * The room ranked by votes. The order shown never changes by itself: news changes the numbers
 * in place, and a pill counts the changes to the ranking; pressing it applies the new order
 * and scrolls so that the message that was at the top of the view stays where it was.
 * Further pages come when the reader scrolls to the end, or with "Load more".
 */
export function TopList(props: TopListProps) {
  const { state, myId, username, now, canVote, onVote, revealed, onReveal, onLoadMore, onApplyUpdates, onReload } = props;
  const { savedTop, onSaveTop } = props;
  const { messages, status, busy, hasMore, updates, error, generation } = state;
  const scroller = useRef<HTMLDivElement>(null);
  const scrollTop = useRef(savedTop ?? 0);
  const anchor = useRef<Anchor | null>(null);
  const seenGeneration = useRef(generation);

  // Back in this room's Top: open where the reader left it; on the way out, say where that was.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (element !== null && savedTop !== undefined) element.scrollTop = savedTop;
    return () => onSaveTop?.(scrollTop.current);
    // Only on mount and unmount: the saved position is where the list starts.
    // oxlint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // A new order is in: keep the anchored message where it was, or start at the top of a new
  // window. A message that left the ranking leaves the view where it is.
  useLayoutEffect(() => {
    if (seenGeneration.current === generation) return;
    seenGeneration.current = generation;
    const element = scroller.current;
    const saved = anchor.current;
    anchor.current = null;
    if (element === null) return;
    if (saved === null) {
      element.scrollTop = 0;
    } else {
      const item = element.querySelector(`[data-message-id="${saved.id}"]`);
      if (item !== null) {
        element.scrollTop += item.getBoundingClientRect().top - element.getBoundingClientRect().top - saved.offset;
      }
    }
    scrollTop.current = element.scrollTop;
  }, [generation]);

  const applyUpdates = () => {
    anchor.current = scroller.current === null ? null : findAnchor(scroller.current);
    onApplyUpdates();
  };

  const onScroll = () => {
    const element = scroller.current;
    if (element === null) return;
    scrollTop.current = element.scrollTop;
    if (hasMore && busy === null && element.scrollHeight - element.scrollTop - element.clientHeight < EDGE) onLoadMore();
  };

  return (
    <div className="timeline">
      {/* A scrollable region must be reachable from the keyboard to scroll it with the arrow keys. */}
      {/* oxlint-disable-next-line jsx-a11y/no-noninteractive-tabindex */}
      <div className="timeline-scroller top-scroller" ref={scroller} onScroll={onScroll} tabIndex={0} role="region" aria-label="Top messages by votes" aria-busy={status === "loading" || busy !== null}>
        {status === "loading" && <p className="top-state">Loading the top messages…</p>}
        {status === "waiting" && <p className="top-state">The top messages load once you are connected.</p>}
        {status === "failed" && (
          <div className="top-state" role="alert">
            <p>{error}</p>
            <button type="button" className="link-button" onClick={onReload}>
              Try again
            </button>
          </div>
        )}
        {status === "ready" && messages.length === 0 && <p className="top-state">No messages in this window yet.</p>}
        <ol className="messages" aria-label="Top messages">
          {messages.map((message) => (
            <MessageItem
              key={`t-${message.id}`}
              message={message}
              mine={message.author.id === myId}
              now={now}
              canVote={canVote}
              onVote={onVote}
              revealed={revealed.has(message.id)}
              onReveal={onReveal}
              me={username ?? null}
            />
          ))}
        </ol>
        {status === "ready" && error !== null && (
          <p className="top-error" role="alert">
            {error}
          </p>
        )}
        {status === "ready" && hasMore && (
          <div className="top-more">
            <button type="button" className="link-button" onClick={onLoadMore} disabled={busy === "more"}>
              {busy === "more" ? "Loading more…" : "Load more"}
            </button>
          </div>
        )}
      </div>
      {status === "ready" && updates > 0 && (
        <button
          type="button"
          className="pill pill-top"
          title="Show the new order"
          disabled={busy === "refresh"}
          onClick={applyUpdates}
        >
          {updates} updates
        </button>
      )}
    </div>
  );
}
