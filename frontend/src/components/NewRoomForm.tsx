import { useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { ROOM_NAME_MAX_CHARS, ROOM_TOPIC_MAX_CHARS } from "../api/generated";
import type { NewRoom, Room } from "../api/rooms";
import { TextField } from "./TextField";

const ROOM_NAME_MAX = ROOM_NAME_MAX_CHARS;
const ROOM_TOPIC_MAX = ROOM_TOPIC_MAX_CHARS;

interface NewRoomFormProps {
  onCreate(input: NewRoom): Promise<Room>;
  onCreated(room: Room): void;
  onCancel(): void;
}

interface Errors {
  name?: string;
  topic?: string;
  form?: string;
}

function check(name: string, topic: string): Errors {
  const errors: Errors = {};
  const nameLength = Array.from(name.trim()).length;
  if (nameLength === 0) errors.name = "Give the room a name.";
  else if (nameLength > ROOM_NAME_MAX) errors.name = `At most ${ROOM_NAME_MAX} characters.`;
  if (Array.from(topic.trim()).length > ROOM_TOPIC_MAX) errors.topic = `At most ${ROOM_TOPIC_MAX} characters.`;
  return errors;
}

/** Creates a public room; the server's field errors show under their fields. */
export function NewRoomForm({ onCreate, onCreated, onCancel }: NewRoomFormProps) {
  const [name, setName] = useState("");
  const [topic, setTopic] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = check(name, topic);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const trimmedTopic = topic.trim();
      const room = await onCreate(trimmedTopic === "" ? { name: name.trim() } : { name: name.trim(), topic: trimmedTopic });
      onCreated(room);
    } catch (error) {
      setBusy(false);
      if (error instanceof ApiError && (error.field === "name" || error.field === "topic")) {
        setErrors({ [error.field]: error.message });
      } else if (error instanceof ApiError && error.status === 429) {
        setErrors({ form: "You have created many rooms lately. Try again later." });
      } else {
        setErrors({ form: error instanceof Error ? error.message : "The room could not be created." });
      }
    }
  };

  return (
    <form className="new-room" aria-label="New room" onSubmit={(event) => void submit(event)} noValidate>
      <TextField label="Room name" value={name} onChange={setName} error={errors.name} autoComplete="off" required />
      <TextField label="Topic" value={topic} onChange={setTopic} error={errors.topic} autoComplete="off" hint="Optional" />
      {errors.form !== undefined && (
        <p className="form-error" role="alert">
          {errors.form}
        </p>
      )}
      <div className="new-room-actions">
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={busy}>
          Create room
        </button>
      </div>
    </form>
  );
}
