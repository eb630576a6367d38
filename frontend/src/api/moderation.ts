// Message versions and the public moderation log (docs/protocol.md).
import { request } from "./client";
import type { Role } from "./types";

/** One version of a message: the original has `edited_at` null. */
export interface MessageVersion {
  body: string;
  edited_at: string | null;
}

export type ModerationAction = "delete" | "mute" | "unmute" | "role";

/** One entry E of a room's moderation log. */
export interface ModerationEntry {
  id: number;
  action: ModerationAction;
  moderator: { id: number; username: string };
  target: { id: number; username: string } | null;
  message_id: number | null;
  reason: string;
  until: string | null;
  /** For `role`: the role given. */
  role?: Role | null;
  created_at: string;
}

export interface ModerationPage {
  entries: ModerationEntry[];
  has_more: boolean;
}

/** Entries per page of the moderation log. */
export const LOG_PAGE_SIZE = 50;

/** Every version of a message, oldest first, the current one last. */
export async function fetchVersions(messageId: number): Promise<MessageVersion[]> {
  const { versions } = await request<{ versions: MessageVersion[] }>("GET", `/api/messages/${messageId}/history`);
  return versions;
}

/** A page of a room's moderation log, newest first: entries older than `before` when given. */
export async function fetchModerationLog(slug: string, before?: number, limit = LOG_PAGE_SIZE): Promise<ModerationPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (before !== undefined) query.set("before", String(before));
  return request<ModerationPage>("GET", `/api/rooms/${encodeURIComponent(slug)}/moderation?${query.toString()}`);
}
