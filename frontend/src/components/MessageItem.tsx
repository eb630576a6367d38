import { memo, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import type { Message } from "../api/types";
import { withinEditWindow } from "../chat/permissions";
import type { Outcome } from "../chat/roomSession";
import type { OutgoingMessage } from "../chat/timeline";
import { BODY_MAX } from "../lib/validation";
import { absoluteTime, relativeTime } from "../lib/time";
import { DeleteDialog } from "./DeleteDialog";
import { MessageBody } from "./MessageBody";
import { MuteDialog } from "./MuteDialog";
import { VersionsDialog } from "./VersionsDialog";

/**
 * What the reader may do to messages besides voting. One object for the whole list, kept
 * stable by its owner, so memoised rows do not re-render for it.
 */
export interface MessageActions {
  room: string;
  /** Moderators and admins delete any message and mute its author. */
  moderator: boolean;
  edit(messageId: number, body: string): Promise<Outcome>;
  remove(messageId: number, reason?: string): Promise<Outcome>;
  mute(username: string, minutes: number, reason: string): Promise<Outcome>;
}

interface MessageItemProps {
  message: Message;
  mine: boolean;
  now: number;
  canVote: boolean;
  onVote(messageId: number, direction: "upvote" | "downvote"): void;
  /** The reader opened this message although the room collapsed it. */
  revealed?: boolean;
  onReveal?(messageId: number): void;
  actions?: MessageActions;
  /** The reader's username: a message that mentions them stands out. */
  me?: string | null;
  /** This message was just opened from a search or a mention: it is highlighted briefly. */
  flash?: boolean;
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

interface EditorProps {
  initial: string;
  onSave(body: string): Promise<Outcome>;
  onDone(): void;
}

/** The message as a text box: Enter saves, Shift+Enter starts a new line, Escape cancels. */
function Editor({ initial, onSave, onDone }: EditorProps) {
  const [draft, setDraft] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    element.focus();
    element.setSelectionRange(element.value.length, element.value.length);
  }, []);

  const save = async () => {
    if (busy) return;
    const trimmed = draft.trim();
    if (trimmed === initial.trim()) {
      onDone();
      return;
    }
    if (trimmed === "") {
      setError("A message cannot be empty: delete it instead.");
      return;
    }
    if (Array.from(trimmed).length > BODY_MAX) {
      setError(`At most ${BODY_MAX.toLocaleString("en")} characters.`);
      return;
    }
    setBusy(true);
    const outcome = await onSave(trimmed);
    if (outcome.ok) {
      onDone();
      return;
    }
    setBusy(false);
    setError(outcome.error);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onDone();
      return;
    }
    // While an input method is composing, Enter confirms the composition instead.
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    void save();
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void save();
  };

  return (
    <form className="message-edit" onSubmit={submit}>
      <textarea
        ref={box}
        className="composer-input message-edit-input"
        aria-label="Edit message"
        rows={2}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={onKeyDown}
        aria-invalid={error !== null ? true : undefined}
      />
      <div className="message-edit-actions">
        <button type="button" className="button button-quiet" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={busy}>
          Save
        </button>
      </div>
      {error !== null && (
        <p className="send-failure" role="alert">
          <span className="send-error">{error}</span>
        </p>
      )}
    </form>
  );
}

interface AuthorMenuProps {
  username: string;
  onMute(): void;
}

/** A moderator's menu for the author of a message. */
function AuthorMenu({ username, onMute }: AuthorMenuProps) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const first = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    first.current?.focus();
    const onPointer = (event: MouseEvent) => {
      if (root.current !== null && !root.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onPointer);
    return () => document.removeEventListener("mousedown", onPointer);
  }, [open]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === "Escape" && open) {
      event.stopPropagation();
      setOpen(false);
      button.current?.focus();
    }
  };

  return (
    // The menu closes on Escape from any of its items.
    // oxlint-disable-next-line jsx-a11y/no-static-element-interactions
    <div className="author-menu" ref={root} onKeyDown={onKeyDown}>
      <button
        ref={button}
        type="button"
        className="link-button message-action"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={`Moderate ${username}`}
        onClick={() => setOpen(!open)}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {open && (
        <ul className="menu" role="menu" aria-label={`Moderate ${username}`}>
          <li role="none">
            <button
              ref={first}
              type="button"
              role="menuitem"
              className="menu-item"
              onClick={() => {
                setOpen(false);
                onMute();
              }}
            >
              Mute
            </button>
          </li>
        </ul>
      )}
    </div>
  );
}

type OpenDialog = "delete" | "mute" | "versions" | null;

/**
 * One committed message. Memoised: with thousands held, a change re-renders only the rows it
 * touches (the callbacks passed in must be stable). A message the room voted down to the
 * collapse threshold shows as one line until the reader opens it. A deleted message is a
 * tombstone: its author and time stay, so the conversation around it still reads, but no body
 * and no votes.
 */
export const MessageItem = memo(function MessageItem({ message, mine, now, canVote, onVote, revealed = false, onReveal, actions, me = null, flash = false }: MessageItemProps) {
  const [editing, setEditing] = useState(false);
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const deleted = message.deleted === true;
  const author = message.author.username;
  const editable = actions !== undefined && mine && withinEditWindow(message, now);
  const deletable = actions !== undefined && !deleted && (mine || actions.moderator);
  const mutable = actions !== undefined && !deleted && !mine && actions.moderator;
  const editedAt = message.edited_at ?? null;
  const mentionsMe = me !== null && !deleted && message.mentions.some((name) => name.toLowerCase() === me.toLowerCase());
  const classes = ["message"];
  if (mine) classes.push("message-mine");
  if (deleted) classes.push("message-deleted");
  if (mentionsMe) classes.push("message-mentions-me");
  if (flash) classes.push("message-flash");

  const stopEditing = () => {
    setEditing(false);
    // Back to where the person was, once the button is there again.
    setTimeout(() => editButton.current?.focus(), 0);
  };

  if (message.collapsed === true && !revealed && !deleted) {
    return (
      <li className={`message message-collapsed${flash ? " message-flash" : ""}`} data-message-id={message.id}>
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
    <li className={classes.join(" ")} data-message-id={message.id}>
      <div className="message-content">
        <div className="message-meta">
          <span className="message-author">{author}</span>
          {mine && <span className="message-you">you</span>}
          {mentionsMe && <span className="message-mention-tag">mentions you</span>}
          <Timestamp iso={message.created_at} now={now} />
          {!deleted && editedAt !== null && (
            <button
              type="button"
              className="link-button message-edited"
              aria-haspopup="dialog"
              title={`Edited ${absoluteTime(editedAt)}`}
              onClick={() => setDialog("versions")}
            >
              edited
            </button>
          )}
          {!editing && (editable || deletable || mutable) && (
            <span className="message-actions">
              {editable && (
                <button ref={editButton} type="button" className="link-button message-action" onClick={() => setEditing(true)}>
                  Edit
                </button>
              )}
              {deletable && (
                <button type="button" className="link-button message-action" aria-haspopup="dialog" onClick={() => setDialog("delete")}>
                  Delete
                </button>
              )}
              {mutable && <AuthorMenu username={author} onMute={() => setDialog("mute")} />}
            </span>
          )}
        </div>
        {deleted ? (
          <p className="message-tombstone">message deleted</p>
        ) : editing && actions !== undefined ? (
          <Editor initial={message.body} onSave={(body) => actions.edit(message.id, body)} onDone={stopEditing} />
        ) : (
          <MessageBody body={message.body} mentions={message.mentions} me={me} />
        )}
      </div>
      {!deleted && (
        <div className="votes" role="group" aria-label={`Votes on the message by ${author}`}>
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
      )}
      {dialog === "delete" && actions !== undefined && (
        <DeleteDialog
          author={author}
          needsReason={!mine}
          onDelete={(reason) => actions.remove(message.id, reason)}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === "mute" && actions !== undefined && (
        <MuteDialog
          username={author}
          room={actions.room}
          onMute={(minutes, reason) => actions.mute(author, minutes, reason)}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === "versions" && (
        <VersionsDialog messageId={message.id} author={author} sentAt={message.created_at} onClose={() => setDialog(null)} />
      )}
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
