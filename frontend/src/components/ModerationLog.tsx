import { useId } from "react";
import type { ModerationEntry } from "../api/moderation";
import { useModerationLog } from "../hooks/useModerationLog";
import { followLink } from "../lib/links";
import { absoluteTime, duration, relativeTime } from "../lib/time";

interface ModerationLogProps {
  room: string;
  now: number;
  /** Where "Back to the chat" leads (the room's path). */
  chatHref: string;
  onBack(): void;
}

function Name({ person }: { person: { username: string } | null }) {
  return <strong className="log-name">{person?.username ?? "someone"}</strong>;
}

/** What happened, in words: who did what to whom. */
function Action({ entry }: { entry: ModerationEntry }) {
  switch (entry.action) {
    case "delete":
      return (
        <>
          <Name person={entry.moderator} /> deleted a message by <Name person={entry.target} />
          {entry.message_id !== null && <span className="log-detail"> (message {entry.message_id})</span>}
        </>
      );
    case "mute": {
      const length = entry.until === null ? null : Date.parse(entry.until) - Date.parse(entry.created_at);
      return (
        <>
          <Name person={entry.moderator} /> muted <Name person={entry.target} />
          {length !== null && !Number.isNaN(length) && entry.until !== null && (
            <>
              {" "}
              for {duration(length)}
              <span className="log-detail">
                {" "}
                (until <time dateTime={entry.until}>{absoluteTime(entry.until)}</time>)
              </span>
            </>
          )}
        </>
      );
    }
    case "unmute":
      return (
        <>
          <Name person={entry.moderator} /> lifted the mute of <Name person={entry.target} />
        </>
      );
    case "role":
      return (
        <>
          <Name person={entry.moderator} />{" "}
          {entry.role === "moderator" ? (
            <>
              made <Name person={entry.target} /> a moderator
            </>
          ) : entry.role === "member" ? (
            <>
              removed <Name person={entry.target} /> as a moderator
            </>
          ) : (
            <>
              changed the role of <Name person={entry.target} />
            </>
          )}
        </>
      );
    default:
      return (
        <>
          <Name person={entry.moderator} /> acted on <Name person={entry.target} />
        </>
      );
  }
}

/** A room's public moderation log: every action of its moderators, newest first. */
export function ModerationLog({ room, now, chatHref, onBack }: ModerationLogProps) {
  const log = useModerationLog(room);
  const headingId = useId();
  return (
    <section className="moderation-log" aria-labelledby={headingId}>
      <div className="log-header">
        <h2 id={headingId} className="log-heading">
          Moderation log
        </h2>
        <a className="link-button" href={chatHref} onClick={(event) => followLink(event, onBack)}>
          Back to the chat
        </a>
      </div>
      <p className="log-lead">Everything the moderators did in #{room}: who, to whom, when and why. Everyone can read it.</p>
      {log.entries.length > 0 && (
        <ol className="log-entries" aria-label="Moderation actions">
          {log.entries.map((entry) => (
            <li key={entry.id} className={`log-entry log-${entry.action}`}>
              <p className="log-what">
                <Action entry={entry} />
              </p>
              {entry.reason.trim() !== "" && <p className="log-reason">Reason: {entry.reason}</p>}
              <time className="log-time" dateTime={entry.created_at} title={absoluteTime(entry.created_at)}>
                {relativeTime(entry.created_at, now)}
              </time>
            </li>
          ))}
        </ol>
      )}
      {log.status === "ready" && log.entries.length === 0 && <p className="log-empty">No moderation actions in #{room} yet.</p>}
      {log.status === "loading" && <p role="status">Loading…</p>}
      {log.status === "failed" && (
        <p className="form-error" role="alert">
          The moderation log could not be loaded: {log.error}{" "}
          <button type="button" className="link-button" onClick={log.retry}>
            Try again
          </button>
        </p>
      )}
      {log.status === "ready" && log.hasMore && (
        <button type="button" className="link-button log-more" onClick={log.loadMore}>
          Load older entries
        </button>
      )}
    </section>
  );
}
