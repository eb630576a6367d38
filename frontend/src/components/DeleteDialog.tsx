import { useState, type FormEvent } from "react";
import type { Outcome } from "../chat/roomSession";
import { reasonProblem } from "../chat/permissions";
import { Dialog } from "./Dialog";
import { DialogFooter } from "./DialogFooter";
import { ReasonField } from "./ReasonField";

interface DeleteDialogProps {
  /** Whose message it is. */
  author: string;
  /** A moderator deleting someone else's message gives a reason; it goes in the public log. */
  needsReason: boolean;
  onDelete(reason?: string): Promise<Outcome>;
  onClose(): void;
}

/** Asks before deleting a message, and for a reason when a moderator deletes someone else's. */
export function DeleteDialog({ author, needsReason, onDelete, onClose }: DeleteDialogProps) {
  const [reason, setReason] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const problem = needsReason ? reasonProblem(reason) : null;
    setFieldError(problem);
    if (problem !== null) return;
    setBusy(true);
    const outcome = await onDelete(needsReason ? reason.trim() : undefined);
    if (outcome.ok) {
      onClose();
      return;
    }
    setBusy(false);
    setError(outcome.error);
  };

  return (
    <Dialog title={needsReason ? `Delete the message by ${author}` : "Delete your message?"} onClose={onClose}>
      <form className="dialog-form" onSubmit={(event) => void submit(event)} noValidate>
        <p className="dialog-text">
          {needsReason
            ? "It will read “message deleted” for everyone. The reason is shown in the room’s public moderation log."
            : "It will read “message deleted” for everyone. This cannot be undone."}
        </p>
        {needsReason && <ReasonField value={reason} onChange={setReason} error={fieldError} />}
        <DialogFooter error={error} busy={busy} action="Delete" onClose={onClose} />
      </form>
    </Dialog>
  );
}
