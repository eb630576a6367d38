import { useState, type FormEvent } from "react";
import type { Outcome } from "../chat/roomSession";
import { MUTE_MAX_MINUTES, minutesProblem, reasonProblem } from "../chat/permissions";
import { Dialog } from "./Dialog";
import { DialogFooter } from "./DialogFooter";
import { ReasonField } from "./ReasonField";
import { TextField } from "./TextField";

interface MuteDialogProps {
  username: string;
  room: string;
  onMute(minutes: number, reason: string): Promise<Outcome>;
  onClose(): void;
}

/** A moderator mutes someone in the room: for how many minutes, and why. */
export function MuteDialog({ username, room, onMute, onClose }: MuteDialogProps) {
  const [minutes, setMinutes] = useState("10");
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<{ minutes?: string; reason?: string }>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = { minutes: minutesProblem(minutes) ?? undefined, reason: reasonProblem(reason) ?? undefined };
    setErrors(found);
    if (found.minutes !== undefined || found.reason !== undefined) return;
    setBusy(true);
    const outcome = await onMute(Number(minutes.trim()), reason.trim());
    if (outcome.ok) {
      onClose();
      return;
    }
    setBusy(false);
    setError(outcome.error);
  };

  return (
    <Dialog title={`Mute ${username} in #${room}`} onClose={onClose}>
      <form className="dialog-form" onSubmit={(event) => void submit(event)} noValidate>
        <p className="dialog-text">They can still read and vote, but cannot send here until the mute ends.</p>
        <TextField
          label="Minutes"
          type="number"
          inputMode="numeric"
          min={1}
          max={MUTE_MAX_MINUTES}
          step={1}
          value={minutes}
          onChange={setMinutes}
          error={errors.minutes}
          hint={`From 1 to ${MUTE_MAX_MINUTES.toLocaleString("en")} (30 days).`}
          required
        />
        <ReasonField value={reason} onChange={setReason} error={errors.reason ?? null} />
        <DialogFooter error={error} busy={busy} action="Mute" onClose={onClose} />
      </form>
    </Dialog>
  );
}
