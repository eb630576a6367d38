import { useEffect, useId } from "react";
import type { MentionsView } from "../hooks/useMentions";
import { usePopover } from "../hooks/usePopover";
import { absoluteTime, relativeTime } from "../lib/time";

interface MentionsMenuProps {
  mentions: MentionsView;
  now: number;
  /** Opens a room at a message. */
  onOpen(room: string, messageId: number): void;
}

/** The accessible name of the Mentions button: it says how many are new. */
export function mentionsLabel(unseen: number): string {
  return unseen > 0 ? `Mentions (${unseen} unseen)` : "Mentions";
}

function preview(body: string): string {
  const line = body.replace(/\s+/g, " ").trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/**
 * The header's Mentions button and its list: the reader's latest mentions in every room,
 * newest first. Opening the list marks them seen; choosing one opens its room at it.
 */
export function MentionsMenu({ mentions, now, onOpen }: MentionsMenuProps) {
  const { open, setOpen, root, button } = usePopover<HTMLDivElement>();
  const panelId = useId();
  const { markSeen, unseen } = mentions;

  // Everything shown while the list is open is seen, live arrivals included.
  useEffect(() => {
    if (open && unseen > 0) markSeen();
  }, [open, markSeen, unseen]);

  return (
    <div className="mentions-menu" ref={root}>
      <button
        ref={button}
        type="button"
        className="button button-quiet mentions-button"
        aria-label={mentionsLabel(mentions.unseen)}
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        onClick={() => setOpen(!open)}
      >
        <span aria-hidden="true">@</span>
        <span className="mentions-label">Mentions</span>
        {mentions.unseen > 0 && (
          <span className="badge badge-mention" aria-hidden="true">
            {mentions.unseen}
          </span>
        )}
      </button>
      {open && (
        <section id={panelId} className="mentions-panel" aria-label="Latest mentions">
          {mentions.status === "loading" && <p className="mentions-note">Loading…</p>}
          {mentions.status === "failed" && <p className="mentions-note">Your mentions could not be loaded.</p>}
          {mentions.status === "ready" && mentions.items.length === 0 && (
            <p className="mentions-note">Nobody has mentioned you yet. People mention you by writing @ and your username.</p>
          )}
          {mentions.items.length > 0 && (
            <ol className="mentions-list" aria-label="Your mentions">
              {mentions.items.map((message) => (
                <li key={message.id}>
                  <button
                    type="button"
                    className="mentions-item"
                    onClick={() => {
                      setOpen(false);
                      onOpen(message.room, message.id);
                    }}
                  >
                    <span className="mentions-item-meta">
                      <span className="message-author">{message.author.username}</span> in #{message.room} ·{" "}
                      <time dateTime={message.created_at} title={absoluteTime(message.created_at)}>
                        {relativeTime(message.created_at, now)}
                      </time>
                    </span>
                    <span className="mentions-item-body">{message.deleted ? "message deleted" : preview(message.body)}</span>
                  </button>
                </li>
              ))}
            </ol>
          )}
          {mentions.hasMore && (
            <button type="button" className="link-button" onClick={() => void mentions.loadMore()} disabled={mentions.loadingMore}>
              {mentions.loadingMore ? "Loading…" : "Older mentions"}
            </button>
          )}
          {mentions.permission === "default" && (
            <p className="mentions-note">
              <button type="button" className="link-button" onClick={mentions.askPermission}>
                Turn on notifications
              </button>{" "}
              to hear about new mentions while this tab is in the background.
            </p>
          )}
          {mentions.permission === "denied" && (
            <p className="mentions-note">Notifications are blocked for this site in your browser settings.</p>
          )}
        </section>
      )}
    </div>
  );
}
