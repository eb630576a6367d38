import { render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ALICE, stubFetch } from "./__tests__/fakeFetch";
import { App } from "./App";
import { AuthProvider } from "./hooks/useAuth";

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

describe("App", () => {
  it("opens the Tokens page at /tokens, so a reload stays there", async () => {
    window.history.replaceState(null, "", "/tokens");
    stubFetch({ "GET /api/me": { status: 200, body: { user: ALICE } }, "GET /api/tokens": { status: 200, body: { tokens: [] } } });
    render(
      <AuthProvider>
        <App />
      </AuthProvider>,
    );
    expect(await screen.findByRole("heading", { name: "Tokens", level: 1 })).toBeInTheDocument();
    expect(await screen.findByText("No tokens yet.")).toBeInTheDocument();
    expect(window.location.pathname).toBe("/tokens");
  });
});
