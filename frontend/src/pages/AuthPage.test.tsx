import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ALICE, stubFetch } from "../__tests__/fakeFetch";
import { AuthProvider } from "../hooks/useAuth";
import { AuthPage } from "./AuthPage";

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

function renderPage() {
  const server = stubFetch({
    "GET /api/me": { status: 401, body: { error: { code: "unauthorized", message: "Log in first." } } },
    "POST /api/login": { status: 200, body: { user: ALICE } },
  });
  render(
    <AuthProvider>
      <AuthPage />
    </AuthProvider>,
  );
  return server;
}

describe("AuthPage", () => {
  it("opens on the log-in form and logs in through the API", async () => {
    const user = userEvent.setup();
    const { calls } = renderPage();
    expect(screen.getByRole("heading", { name: "Welcome back" })).toBeInTheDocument();
    await user.type(screen.getByRole("textbox", { name: "Email" }), "alice@example.com");
    await user.type(screen.getByLabelText("Password"), "secret words");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(calls.map((call) => call.route)).toContain("POST /api/login");
  });

  it("switches to the sign-up form and back through the URL", async () => {
    const user = userEvent.setup();
    renderPage();
    await user.click(screen.getByRole("link", { name: "Sign up" }));
    expect(await screen.findByRole("heading", { name: "Create your account" })).toBeInTheDocument();
    expect(window.location.hash).toBe("#/signup");
    await user.click(screen.getByRole("link", { name: "Log in" }));
    expect(await screen.findByRole("heading", { name: "Welcome back" })).toBeInTheDocument();
  });

  it("opens on the sign-up form when the URL asks for it", () => {
    window.location.hash = "#/signup";
    renderPage();
    expect(screen.getByRole("heading", { name: "Create your account" })).toBeInTheDocument();
  });
});
