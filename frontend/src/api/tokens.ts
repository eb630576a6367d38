// Personal API tokens (docs/protocol.md, "Tokens"): listed without secrets; a secret comes
// back once, in the answer that creates its token.
import { request } from "./client";
import type { CreatedTokenOut, TokenOut } from "./generated";

/** A token as listed: `{id, name, created_at, last_used_at}`. */
export type ApiToken = TokenOut;

/** The answer to creating a token: the token and its secret, shown this once. */
export type CreatedToken = CreatedTokenOut;

/** The logged-in person's live tokens, oldest first. */
export async function fetchTokens(): Promise<ApiToken[]> {
  const { tokens } = await request<{ tokens: ApiToken[] }>("GET", "/api/tokens");
  return tokens;
}

export async function createToken(name: string): Promise<CreatedToken> {
  return request<CreatedToken>("POST", "/api/tokens", { name });
}

/** Revokes a token everywhere, its open sockets included. */
export async function revokeToken(id: number): Promise<void> {
  await request<void>("DELETE", `/api/tokens/${id}`);
}
