import { afterEach, describe, expect, it, vi } from "vitest";
import { ALICE, stubFetch } from "../__tests__/fakeFetch";
import { ApiError, fetchMe, login, logout, request } from "./client";

afterEach(() => {
  vi.unstubAllGlobals();
});

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error: unknown = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

describe("request", () => {
  it("sends JSON with the session cookie and returns the parsed body", async () => {
    const { calls } = stubFetch({ "POST /api/login": { status: 200, body: { user: ALICE } } });
    await expect(login("alice@example.com", "secret words")).resolves.toEqual(ALICE);
    const init = calls[0]?.init;
    expect(init?.credentials).toBe("same-origin");
    expect(init?.headers).toEqual({ Accept: "application/json", "Content-Type": "application/json" });
    expect(JSON.parse(String(init?.body))).toEqual({ email: "alice@example.com", password: "secret words" });
  });

  it("returns nothing for 204 No Content", async () => {
    stubFetch({ "POST /api/logout": { status: 204 } });
    await expect(logout()).resolves.toBeUndefined();
  });

  it("turns the server's error shape into an ApiError with its code, message and field", async () => {
    stubFetch({
      "POST /api/signup": {
        status: 409,
        body: { error: { code: "email_taken", message: "That email is registered.", field: "email" } },
      },
    });
    const error = await failure(request("POST", "/api/signup", {}));
    expect(error).toMatchObject({ status: 409, code: "email_taken", message: "That email is registered.", field: "email" });
    expect(error.retryAfter).toBeUndefined();
  });

  it.each([
    ["30", 30],
    ["2.5", 3],
    ["0", 0],
    ["-1", undefined],
    ["Wed, 21 Oct 2026 07:28:00 GMT", undefined],
  ])("reads Retry-After %j as %j seconds", async (header, seconds) => {
    stubFetch({
      "POST /api/login": {
        status: 429,
        body: { error: { code: "rate_limited", message: "Too many attempts." } },
        headers: { "Retry-After": header },
      },
    });
    const error = await failure(login("a@example.com", "x"));
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBe(seconds);
  });

  it("names a failure without the error shape by its status", async () => {
    stubFetch({ "GET /api/broken": { status: 502, body: "<html>Bad gateway</html>" }, "GET /api/odd": { status: 418, body: { nope: 1 } } });
    expect(await failure(request("GET", "/api/broken"))).toMatchObject({ status: 502, code: "unavailable", message: "HTTP 502" });
    expect(await failure(request("GET", "/api/odd"))).toMatchObject({ status: 418, code: "internal", message: "HTTP 418" });
  });

  it("reports a network failure as status 0", async () => {
    stubFetch({ "GET /api/me": "network down" });
    expect(await failure(request("GET", "/api/me"))).toMatchObject({ status: 0, code: "network", message: "Cannot reach the server." });
  });
});

describe("fetchMe", () => {
  it("returns the user, or null when there is no session", async () => {
    stubFetch({ "GET /api/me": { status: 200, body: { user: ALICE } } });
    await expect(fetchMe()).resolves.toEqual(ALICE);
    stubFetch({ "GET /api/me": { status: 401, body: { error: { code: "unauthorized", message: "Log in first." } } } });
    await expect(fetchMe()).resolves.toBeNull();
  });

  it("throws when the server fails", async () => {
    stubFetch({ "GET /api/me": { status: 503, body: { error: { code: "unavailable", message: "Try later." } } } });
    expect(await failure(fetchMe())).toMatchObject({ status: 503, code: "unavailable" });
  });
});
