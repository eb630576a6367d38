import { memo } from "react";
import type { Message } from "../api/types";
import type { OutgoingMessage } from "../chat/timeline";
import { absoluteTime, relativeTime } from "../lib/time";
import { MessageBody } from "./MessageBody";

interface MessageItemProps {
  message: Message;
  mine: boolean;
  now: number;
  canVote: boolean;
  onVote(messageId: number, direction: "upvote" | "downvote"): void;
  /** The reader opened this message although the room collapsed it. */
  revealed?: boolean;
  onReveal?(messageId: number): void;
}

function Arrow({ up }: { up: boolean }) {
  return (
    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <path d={up ? "M8 4.5 2.5 11.5h11z" : "M8 11.5 2.5 4.5h11z"} fill="currentColor" />
    </svg>
  );
}

function Timestamp({ iso, now }: { iso: string; now: number }) {
  return (
    <time className="message-time" dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso, now)}
    </time>
  );
}

/**
 * One committed message. Memoised: with thousands held, a change re-renders only the rows it
 * touches (the callbacks passed in must be stable). A message the room voted down to the
 * collapse threshold shows as one line until the reader opens it.
 */
export const MessageItem = memo(function MessageItem({ message, mine, now, canVote, onVote, revealed = false, onReveal }: MessageItemProps) {
  if (message.collapsed === true && !revealed) {
    return (
      <li className="message message-collapsed" data-message-id={message.id}>
        <p className="collapsed-line">
          Collapsed by votes (score {message.score}) ·{" "}
          <button type="button" className="link-button" onClick={() => onReveal?.(message.id)}>
            Show
          </button>
        </p>
      </li>
    );
  }
  return (
    <li className={mine ? "message message-mine" : "message"} data-message-id={message.id}>
      <div className="message-content">
        <div className="message-meta">
          <span className="message-author">{message.author.username}</span>
          {mine && <span className="message-you">you</span>}
          <Timestamp iso={message.created_at} now={now} />
        </div>
        <MessageBody body={message.body} />
      </div>
      <div className="votes" role="group" aria-label={`Votes on the message by ${message.author.username}`}>
        <button
          type="button"
          className="vote vote-up"
          aria-label="Upvote"
          aria-pressed={message.my_vote === 1 ? "true" : "false"}
          disabled={!canVote}
          onClick={() => onVote(message.id, "upvote")}
        >
          <Arrow up />
        </button>
        <output className="score" aria-label="score" aria-live="off">
          {message.score}
        </output>
        <button
          type="button"
          className="vote vote-down"
          aria-label="Downvote"
          aria-pressed={message.my_vote === -1 ? "true" : "false"}
          disabled={!canVote}
          onClick={() => onVote(message.id, "downvote")}
        >
          <Arrow up={false} />
        </button>
      </div>
    </li>
  );
});

interface OutgoingItemProps {
  item: OutgoingMessage;
  username: string;
  now: number;
  onRetry(clientId: string): void;
}

/** A message of ours the server has not acknowledged yet. */
export function OutgoingItem({ item, username, now, onRetry }: OutgoingItemProps) {
  return (
    <li className={`message message-mine message-${item.status}`} aria-busy={item.status === "pending" ? true : undefined}>
      <div className="message-content">
        <div className="message-meta">
          <span className="message-author">{username}</span>
          <span className="message-you">you</span>
          <Timestamp iso={item.createdAt} now={now} />
          {item.status === "pending" && <span className="message-state">Sending…</span>}
          {item.status === "queued" && <span className="message-state">Waiting for connection…</span>}
        </div>
        <MessageBody body={item.body} />
        {item.status === "failed" && (
          <p className="send-failure">
            <button type="button" className="link-button retry" onClick={() => onRetry(item.clientId)}>
              Not sent: retry
            </button>
            {item.error !== null && <span className="send-error"> {item.error}</span>}
          </p>
        )}
      </div>
    </li>
  );
}
