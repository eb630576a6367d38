import { vi } from "vitest";

/** What a fake route answers: a status with a JSON body (or none), or a network failure. */
export type FakeAnswer = { status: number; body?: unknown; headers?: Record<string, string> } | "network down";

/**
 * Replaces `fetch` with a table of `"METHOD /path"` routes, so the real API client runs
 * against canned server answers. Unknown routes answer 404 with the server's error shape.
 */
export function stubFetch(routes: Record<string, FakeAnswer | (() => FakeAnswer)>) {
  const calls: { route: string; init: RequestInit | undefined }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const route = `${init?.method ?? "GET"} ${String(input)}`;
    calls.push({ route, init });
    const entry = routes[route];
    const answer = typeof entry === "function" ? entry() : (entry ?? { status: 404, body: { error: { code: "not_found", message: "Not found" } } });
    if (answer === "network down") throw new TypeError("Failed to fetch");
    const text = answer.body === undefined ? null : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
    return new Response(text, { status: answer.status, headers: answer.headers });
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls, fetchMock };
}

export const ALICE = { id: 1, username: "alice", email: "alice@example.com", role: "member" as const };
