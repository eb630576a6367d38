import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import type { Mute } from "../chat/roomSession";
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
}

function muteNotice(muted: Mute, room: string, now: number | undefined): string {
  const until = muted.until === null ? "for now" : `until ${laterTime(muted.until, now)}`;
  const reason = muted.reason.trim() === "" ? "" : ` Reason: ${muted.reason.trim()}`;
  return `You are muted in #${room} ${until}: you can read and vote, but not send.${reason}`;
}

/** Enter sends, Shift+Enter starts a new line. */
export function Composer({ onSend, room = "general", onTyping, muted = null, now }: ComposerProps) {
  const [body, setBody] = useState("");
  const textarea = useRef<HTMLTextAreaElement>(null);
  const counterId = useId();
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
          if (event.target.value.trim() !== "") onTyping?.();
        }}
        onKeyDown={onKeyDown}
        aria-invalid={tooLong ? true : undefined}
        aria-describedby={blocked ? mutedId : length > BODY_MAX - 500 ? counterId : undefined}
      />
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
