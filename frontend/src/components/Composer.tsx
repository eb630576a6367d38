import { useId, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import type { UserSuggestion } from "../api/mentions";
import type { Mute } from "../chat/roomSession";
import { useUserSuggestions } from "../hooks/useUserSuggestions";
import { BODY_MAX } from "../lib/validation";
import { laterTime } from "../lib/time";

interface ComposerProps {
  onSend(body: string): void;
  /** The room's slug, for the placeholder. */
  room?: string;
  /** Called on each edit that leaves text in the box (the room throttles what it sends). */
  onTyping?(): void;
  /** The reader is muted in this room: the box is disabled and says until when. */
  muted?: Mute | null;
  /** The current time, to say the end of a mute as a time of day (else with its date). */
  now?: number;
  /** Looks up usernames for @ suggestions; tests pass a fake. */
  suggestUsers?: (prefix: string) => Promise<UserSuggestion[]>;
}

/** The `@name` being typed just before the caret: where its `@` is and what follows it. */
export interface MentionTrigger {
  start: number;
  prefix: string;
}

// As the server reads mentions: an `@` not preceded by a username character.
const TRIGGER = /(^|[^A-Za-z0-9_\-@])@([A-Za-z0-9_-]{0,32})$/;

/** The mention being typed at `caret`, if any: from the `@` on, the server lists matching names. */
export function mentionTrigger(text: string, caret: number): MentionTrigger | null {
  const match = TRIGGER.exec(text.slice(0, caret));
  if (match === null) return null;
  const prefix = match[2] as string;
  return { start: caret - prefix.length - 1, prefix };
}

function muteNotice(muted: Mute, room: string, now: number | undefined): string {
  const until = muted.until === null ? "for now" : `until ${laterTime(muted.until, now)}`;
  const reason = muted.reason.trim() === "" ? "" : ` Reason: ${muted.reason.trim()}`;
  return `You are muted in #${room} ${until}: you can read and vote, but not send.${reason}`;
}

/** Enter sends, Shift+Enter starts a new line. */
export function Composer({ onSend, room = "general", onTyping, muted = null, now, suggestUsers }: ComposerProps) {
  const [body, setBody] = useState("");
  const textarea = useRef<HTMLTextAreaElement>(null);
  const counterId = useId();
  const listId = useId();
  const [trigger, setTrigger] = useState<MentionTrigger | null>(null);
  /** Where the `@` of a suggestion list the reader closed with Escape was. */
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  const pendingCaret = useRef<number | null>(null);
  const suggestions = useUserSuggestions(trigger?.prefix ?? null, suggestUsers);
  const open = trigger !== null && trigger.start !== dismissedAt && suggestions.length > 0;
  const activeIndex = Math.min(active, suggestions.length - 1);

  const track = (element: HTMLTextAreaElement) => {
    const next = element.selectionStart === element.selectionEnd ? mentionTrigger(element.value, element.selectionStart) : null;
    if (next?.start !== trigger?.start || next?.prefix !== trigger?.prefix) {
      setTrigger(next);
      setActive(0);
    }
    if (next === null || next.start !== dismissedAt) setDismissedAt(null);
  };

  const accept = (user: UserSuggestion) => {
    const element = textarea.current;
    if (trigger === null || element === null) return;
    const end = trigger.start + 1 + trigger.prefix.length;
    const inserted = `@${user.username} `;
    const next = body.slice(0, trigger.start) + inserted + body.slice(end);
    setBody(next);
    setTrigger(null);
    // Once React has written the new value, the caret goes after the name.
    pendingCaret.current = trigger.start + inserted.length;
  };

  useLayoutEffect(() => {
    const element = textarea.current;
    const caret = pendingCaret.current;
    if (element === null || caret === null) return;
    pendingCaret.current = null;
    element.focus();
    element.setSelectionRange(caret, caret);
  });
  const length = Array.from(body.trim()).length;
  const tooLong = length > BODY_MAX;

  const mutedId = useId();
  const blocked = muted !== null;

  const send = () => {
    if (body.trim() === "" || tooLong || blocked) return;
    onSend(body);
    setBody("");
    textarea.current?.focus();
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    send();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (open && !event.nativeEvent.isComposing) {
      const count = suggestions.length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        setActive((activeIndex + (event.key === "ArrowDown" ? 1 : count - 1)) % count);
        return;
      }
      if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
        event.preventDefault();
        const chosen = suggestions[activeIndex];
        if (chosen !== undefined) accept(chosen);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        setDismissedAt(trigger.start);
        return;
      }
    }
    // While an input method is composing, Enter confirms the composition instead.
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    send();
  };

  return (
    <form className="composer" onSubmit={submit}>
      <textarea
        ref={textarea}
        className="composer-input"
        aria-label="Message"
        placeholder={blocked ? "You are muted here" : `Message #${room}`}
        disabled={blocked}
        rows={1}
        value={body}
        onChange={(event) => {
          setBody(event.target.value);
          track(event.target);
          if (event.target.value.trim() !== "") onTyping?.();
        }}
        onSelect={(event) => track(event.currentTarget)}
        onBlur={() => setTrigger(null)}
        onKeyDown={onKeyDown}
        aria-autocomplete="list"
        aria-controls={open ? listId : undefined}
        aria-activedescendant={open ? `${listId}-${activeIndex}` : undefined}
        aria-invalid={tooLong ? true : undefined}
        aria-describedby={blocked ? mutedId : length > BODY_MAX - 500 ? counterId : undefined}
      />
      {open && (
        <div id={listId} className="suggestions" role="listbox" aria-label="Mention suggestions">
          {suggestions.map((user, index) => (
            // The keys are the text box's (aria-activedescendant): focus never leaves it.
            // oxlint-disable-next-line jsx-a11y/click-events-have-key-events
            <div
              key={user.id}
              id={`${listId}-${index}`}
              role="option"
              tabIndex={-1}
              aria-selected={index === activeIndex}
              className={index === activeIndex ? "suggestion suggestion-active" : "suggestion"}
              // Pressing keeps the focus in the text box; releasing picks the name.
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => accept(user)}
            >
              @{user.username}
            </div>
          ))}
        </div>
      )}
      {trigger !== null && (
        <p className="visually-hidden" role="status">
          {open ? `${suggestions.length} ${suggestions.length === 1 ? "suggestion" : "suggestions"}: up and down to choose, Enter to pick` : ""}
        </p>
      )}
      {muted !== null && (
        <p id={mutedId} className="composer-muted" role="status">
          {muteNotice(muted, room, now)}
        </p>
      )}
      {length > BODY_MAX - 500 && (
        <p id={counterId} className={tooLong ? "composer-count composer-count-over" : "composer-count"}>
          {length}/{BODY_MAX}
        </p>
      )}
      <button type="submit" className="button button-primary composer-send" disabled={body.trim() === "" || tooLong || blocked}>
        Send
      </button>
    </form>
  );
}
