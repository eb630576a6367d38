import { useId } from "react";
import { REASON_MAX_CHARS } from "../chat/permissions";

interface ReasonFieldProps {
  value: string;
  onChange(value: string): void;
  error: string | null;
}

/** The reason of a moderation action (1–200 characters): it is shown in the public log. */
export function ReasonField({ value, onChange, error }: ReasonFieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const length = Array.from(value.trim()).length;
  return (
    <div className="field">
      <label htmlFor={id} className="field-label">
        Reason
      </label>
      <textarea
        id={id}
        className="field-input dialog-reason"
        rows={2}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        required
        aria-invalid={error !== null ? true : undefined}
        aria-describedby={error !== null ? errorId : hintId}
      />
      {error !== null ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : (
        <p id={hintId} className="field-hint">
          Shown in the public moderation log. {length}/{REASON_MAX_CHARS}
        </p>
      )}
    </div>
  );
}
