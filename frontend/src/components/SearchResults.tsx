import type { SearchState } from "../chat/messageSearch";
import { splitHighlights } from "../lib/highlights";
import { absoluteTime, relativeTime } from "../lib/time";

interface SearchResultsProps {
  state: SearchState;
  room: string;
  now: number;
  /** Opens the room at the chosen message. */
  onOpen(messageId: number): void;
  onLoadMore(): void;
  onClose(): void;
}

/** The body with the matched words marked; plain text, so the offsets stay those of the body. */
function HighlightedBody({ body, ranges }: { body: string; ranges: [number, number][] }) {
  return (
    <span className="search-result-body">
      {splitHighlights(body, ranges).map((part, index) => (part.marked ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>))}
    </span>
  );
}

/** A search's ranked results: choosing one opens the room at that message. */
export function SearchResults({ state, room, now, onOpen, onLoadMore, onClose }: SearchResultsProps) {
  return (
    <section className="search-panel" aria-label={`Search in #${room}`}>
      <div className="search-panel-head">
        <h2 className="search-panel-title">
          {state.query === "" ? "Search" : `Results for “${state.query}”`}
        </h2>
        <button type="button" className="button button-quiet" onClick={onClose}>
          Close search
        </button>
      </div>
      {state.status === "loading" && (
        <p className="search-status" role="status">
          Searching…
        </p>
      )}
      {state.status === "ready" && state.results.length === 0 && (
        <p className="search-status" role="status">
          No messages in #{room} match “{state.query}”.
        </p>
      )}
      {state.status === "ready" && state.results.length > 0 && (
        <ol className="search-results" aria-label="Search results">
          {state.results.map((message) => (
            <li key={message.id} className="search-result">
              <button type="button" className="search-result-open" onClick={() => onOpen(message.id)}>
                <span className="search-result-meta">
                  <span className="message-author">{message.author.username}</span>{" "}
                  <time className="message-time" dateTime={message.created_at} title={absoluteTime(message.created_at)}>
                    {relativeTime(message.created_at, now)}
                  </time>
                </span>
                <HighlightedBody body={message.body} ranges={state.highlights[String(message.id)] ?? []} />
              </button>
            </li>
          ))}
        </ol>
      )}
      {state.error !== null && (
        <p className="search-error" role="alert">
          {state.error}
        </p>
      )}
      {state.status === "ready" && state.hasMore && (
        <button type="button" className="link-button search-more" onClick={onLoadMore} disabled={state.loadingMore}>
          {state.loadingMore ? "Loading more results…" : "Load more results"}
        </button>
      )}
    </section>
  );
}
