import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ALICE, stubFetch, type FakeAnswer } from "../__tests__/fakeFetch";
import { AuthProvider, useAuth } from "./useAuth";

const wrapper = ({ children }: { children: ReactNode }) => <AuthProvider>{children}</AuthProvider>;
const signedIn: FakeAnswer = { status: 200, body: { user: ALICE } };
const noSession: FakeAnswer = { status: 401, body: { error: { code: "unauthorized", message: "Log in first." } } };

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

async function settled(me: FakeAnswer | (() => FakeAnswer)) {
  const server = stubFetch({ "GET /api/me": me, "POST /api/login": signedIn, "POST /api/logout": { status: 204 } });
  const hook = renderHook(() => useAuth(), { wrapper });
  expect(hook.result.current.status).toBe("loading");
  await waitFor(() => expect(hook.result.current.status).not.toBe("loading"));
  return { ...server, hook };
}

describe("useAuth", () => {
  it("keeps the person logged in across a reload when the session holds", async () => {
    const { hook } = await settled(signedIn);
    expect(hook.result.current.status).toBe("authenticated");
    expect(hook.result.current.user).toEqual(ALICE);
  });

  it("is anonymous without a session, and unreachable when the server cannot be reached", async () => {
    expect((await settled(noSession)).hook.result.current.status).toBe("anonymous");
    expect((await settled("network down")).hook.result.current.status).toBe("unreachable");
  });

  it("logs in, and drops the form route from the URL", async () => {
    const { hook } = await settled(noSession);
    window.location.hash = "#/login";
    await act(() => hook.result.current.login("alice@example.com", "secret words"));
    expect(hook.result.current).toMatchObject({ status: "authenticated", user: ALICE });
    expect(window.location.hash).toBe("");
  });

  it("forgets the user on log-out even when the server cannot be told", async () => {
    const { hook } = await settled(signedIn);
    stubFetch({ "POST /api/logout": "network down" });
    await act(() => expect(hook.result.current.logout()).rejects.toMatchObject({ code: "network" }));
    expect(hook.result.current).toMatchObject({ status: "anonymous", user: null });
  });

  it("refresh tells whether the session still holds", async () => {
    let me: FakeAnswer = signedIn;
    const { hook } = await settled(() => me);
    me = "network down";
    // Unreachable is not logged out: the socket reconnects by itself.
    await act(async () => expect(await hook.result.current.refresh()).toBe(true));
    expect(hook.result.current.status).toBe("authenticated");
    me = noSession;
    await act(async () => expect(await hook.result.current.refresh()).toBe(false));
    expect(hook.result.current).toMatchObject({ status: "anonymous", user: null });
  });

  it("forgets the user when the server ended the session", async () => {
    const { hook } = await settled(signedIn);
    act(() => hook.result.current.sessionEnded());
    expect(hook.result.current).toMatchObject({ status: "anonymous", user: null });
  });

  it("needs its provider", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect(() => renderHook(() => useAuth())).toThrow("useAuth needs an AuthProvider");
  });
});
