// Mentions and @ suggestions (docs/protocol.md, "Mentions"); the shapes are generated from the
// server's models (./generated.ts).
import { request } from "./client";
import type { MentionsOut, UserRef, UsersOut } from "./generated";

export type { MentionEvent } from "./generated";

/** A page of the reader's mentions in every room, newest first. */
export type MentionsPage = MentionsOut;

/** Someone whose username starts with what was typed after `@`. */
export type UserSuggestion = UserRef;

export const MENTIONS_PAGE_SIZE = 30;
export const SUGGESTIONS_LIMIT = 8;

/** The reader's latest mentions, or those older than `before`. */
export async function fetchMentions(before?: number, limit = MENTIONS_PAGE_SIZE): Promise<MentionsPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (before !== undefined) query.set("before", String(before));
  return request<MentionsPage>("GET", `/api/mentions?${query.toString()}`);
}

/** Usernames starting with `prefix` (ignoring case), for the composer's @ suggestions. */
export async function fetchUserSuggestions(prefix: string, limit = SUGGESTIONS_LIMIT): Promise<UserSuggestion[]> {
  const query = new URLSearchParams({ prefix, limit: String(limit) });
  const { users } = await request<UsersOut>("GET", `/api/users?${query.toString()}`);
  return users;
}
