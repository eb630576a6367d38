import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { BODY_MAX } from "../lib/validation";

interface ComposerProps {
  onSend(body: string): void;
  /** The room's slug, for the placeholder. */
  room?: string;
  /** Called on each edit that leaves text in the box (the room throttles what it sends). */
  onTyping?(): void;
}

/** Enter sends, Shift+Enter starts a new line. */
export function Composer({ onSend, room = "general", onTyping }: ComposerProps) {
  const [body, setBody] = useState("");
  const textarea = useRef<HTMLTextAreaElement>(null);
  const counterId = useId();
  const length = Array.from(body.trim()).length;
  const tooLong = length > BODY_MAX;

  const send = () => {
    if (body.trim() === "" || tooLong) return;
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
        placeholder={`Message #${room}`}
        rows={1}
        value={body}
        onChange={(event) => {
          setBody(event.target.value);
          if (event.target.value.trim() !== "") onTyping?.();
        }}
        onKeyDown={onKeyDown}
        aria-invalid={tooLong ? true : undefined}
        aria-describedby={length > BODY_MAX - 500 ? counterId : undefined}
      />
      {length > BODY_MAX - 500 && (
        <p id={counterId} className={tooLong ? "composer-count composer-count-over" : "composer-count"}>
          {length}/{BODY_MAX}
        </p>
      )}
      <button type="submit" className="button button-primary composer-send" disabled={body.trim() === "" || tooLong}>
        Send
      </button>
    </form>
  );
}
