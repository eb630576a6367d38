import { MUTE_MAX_MINUTES as MUTE_MAX, REASON_MAX_CHARS as REASON_MAX } from "../api/generated";
import type { Message, Role } from "../api/types";

/**
 * How long after sending an author may edit, as the server's default `CHATROOM_EDIT_WINDOW`.
 * The server does not tell clients its setting, so a server configured otherwise decides:
 * an edit past its window is refused (`forbidden`) and the refusal is shown.
 */
export const EDIT_WINDOW_MS = 15 * 60 * 1_000;

/** Moderators and admins delete any message and mute people. */
export function moderates(role: Role | undefined): boolean {
  return role === "moderator" || role === "admin";
}

/** Whether the edit window of this message is still open at `now` (ms since the epoch). */
export function withinEditWindow(message: Message, now: number, windowMs = EDIT_WINDOW_MS): boolean {
  const sent = Date.parse(message.created_at);
  return message.deleted !== true && !Number.isNaN(sent) && now - sent < windowMs;
}

/** Whether the reader may still edit this message at `now`: their own, within the window. */
export function canEdit(message: Message, myId: number, now: number, windowMs = EDIT_WINDOW_MS): boolean {
  return message.author.id === myId && withinEditWindow(message, now, windowMs);
}

/** Whether the reader may delete this message: their own always, anyone's when they moderate. */
export function canDelete(message: Message, myId: number, role: Role | undefined): boolean {
  return message.deleted !== true && (message.author.id === myId || moderates(role));
}

/** Whether deleting this message needs a reason: a moderator removing someone else's. */
export function needsReason(message: Message, myId: number): boolean {
  return message.author.id !== myId;
}

/** Shortest and longest moderation reason, in characters after trimming (the server's limits). */
export const REASON_MIN_CHARS = 1;
export const REASON_MAX_CHARS = REASON_MAX;
/** The longest mute: 30 days, in minutes. */
export const MUTE_MAX_MINUTES = MUTE_MAX;

/** Why a reason is refused, or null when it is fine. */
export function reasonProblem(reason: string): string | null {
  const length = Array.from(reason.trim()).length;
  if (length < REASON_MIN_CHARS) return "Give a reason.";
  if (length > REASON_MAX_CHARS) return `At most ${REASON_MAX_CHARS} characters.`;
  return null;
}

/** Why a mute length is refused, or null when it is a whole number of minutes in range. */
export function minutesProblem(minutes: string): string | null {
  const trimmed = minutes.trim();
  if (!/^\d+$/.test(trimmed)) return "A whole number of minutes.";
  const value = Number(trimmed);
  if (value < 1 || value > MUTE_MAX_MINUTES) return `From 1 to ${MUTE_MAX_MINUTES.toLocaleString("en")} minutes.`;
  return null;
}
