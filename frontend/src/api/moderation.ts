// Message versions and the public moderation log (docs/protocol.md).
import { request } from "./client";
import type { ModerationEntryOut, ModerationLogOut, VersionOut, VersionsOut } from "./generated";

/** One version of a message: the original has `edited_at` null. */
export type MessageVersion = VersionOut;

/** One entry E of a room's moderation log. */
export type ModerationEntry = ModerationEntryOut;

export type ModerationAction = ModerationEntry["action"];

export type ModerationPage = ModerationLogOut;

/** Entries per page of the moderation log. */
export const LOG_PAGE_SIZE = 50;

/** Every version of a message, oldest first, the current one last. */
export async function fetchVersions(messageId: number): Promise<MessageVersion[]> {
  const { versions } = await request<VersionsOut>("GET", `/api/messages/${messageId}/history`);
  return versions;
}

/** A page of a room's moderation log, newest first: entries older than `before` when given. */
export async function fetchModerationLog(slug: string, before?: number, limit = LOG_PAGE_SIZE): Promise<ModerationPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (before !== undefined) query.set("before", String(before));
  return request<ModerationPage>("GET", `/api/rooms/${encodeURIComponent(slug)}/moderation?${query.toString()}`);
}
