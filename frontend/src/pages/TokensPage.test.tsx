import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ALICE, stubFetch, type FakeAnswer } from "../__tests__/fakeFetch";
import { TokensPage } from "./TokensPage";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const SECRET = "chr_s3cr3t-only-shown-once_abcdefghijklmnopqrstuvw";
const OLD = { id: 3, name: "old script", created_at: "2026-11-20T10:00:00Z", last_used_at: null };
const USED = { id: 4, name: "deploy bot", created_at: "2026-11-21T10:00:00Z", last_used_at: new Date(Date.now() - 5 * 60_000).toISOString() };
const NEW = { id: 7, name: "echo bot", created_at: new Date().toISOString(), last_used_at: null };

function renderPage(routes: Record<string, FakeAnswer | (() => FakeAnswer)> = {}) {
  const server = stubFetch({ "GET /api/tokens": { status: 200, body: { tokens: [OLD, USED] } }, ...routes });
  const onBack = vi.fn();
  const view = render(<TokensPage user={ALICE} onBack={onBack} />);
  return { ...server, onBack, view };
}

async function tokenList() {
  return screen.findByRole("list", { name: "Tokens" });
}

function item(list: HTMLElement, name: string): HTMLElement {
  const found = within(list)
    .getAllByRole("listitem")
    .find((element) => element.textContent?.includes(name));
  if (found === undefined) throw new Error(`no token ${name}`);
  return found;
}

describe("TokensPage", () => {
  it("lists the tokens with when they were created and last used", async () => {
    renderPage();
    const list = await tokenList();
    expect(within(list).getAllByRole("listitem")).toHaveLength(2);
    expect(item(list, "old script")).toHaveTextContent("Never used");
    expect(item(list, "deploy bot")).toHaveTextContent("Last used 5 min ago");
    expect(item(list, "deploy bot").querySelector("time")).toHaveAttribute("datetime", USED.created_at);
  });

  it("creates a token, shows its secret once with a Copy button, and forgets it when done", async () => {
    const user = userEvent.setup();
    const { calls } = renderPage({ "POST /api/tokens": { status: 201, body: { token: NEW, secret: SECRET } } });
    await tokenList();
    await user.type(screen.getByRole("textbox", { name: "Token name" }), "  echo bot ");
    await user.click(screen.getByRole("button", { name: "Create token" }));

    const created = await screen.findByRole("region", { name: "Token “echo bot” created" });
    expect(within(created).getByTestId("token-secret")).toHaveTextContent(SECRET);
    const post = calls.find((call) => call.route === "POST /api/tokens");
    expect(JSON.parse(String(post?.init?.body))).toEqual({ name: "echo bot" });
    expect(screen.getByRole("textbox", { name: "Token name" })).toHaveValue("");
    expect(item(await tokenList(), "echo bot")).toHaveTextContent("Never used");
    // The list never holds the secret: only the one-time panel does.
    expect(screen.getByRole("list", { name: "Tokens" }).textContent).not.toContain(SECRET);

    await user.click(within(created).getByRole("button", { name: "Copy" }));
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(within(created).getByRole("status")).toHaveTextContent("Copied.");

    await user.click(within(created).getByRole("button", { name: "Done" }));
    expect(screen.queryByRole("region", { name: /created/ })).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it("does not show the secret again after the page is left and opened again", async () => {
    const user = userEvent.setup();
    const { view } = renderPage({ "POST /api/tokens": { status: 201, body: { token: NEW, secret: SECRET } } });
    await tokenList();
    await user.type(screen.getByRole("textbox", { name: "Token name" }), "echo bot");
    await user.click(screen.getByRole("button", { name: "Create token" }));
    await screen.findByTestId("token-secret");
    view.unmount();

    stubFetch({ "GET /api/tokens": { status: 200, body: { tokens: [OLD, USED, NEW] } } });
    render(<TokensPage user={ALICE} onBack={vi.fn()} />);
    expect(item(await tokenList(), "echo bot")).toBeInTheDocument();
    expect(screen.queryByTestId("token-secret")).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it("selects the secret for a manual copy when the clipboard refuses", async () => {
    const user = userEvent.setup();
    renderPage({ "POST /api/tokens": { status: 201, body: { token: NEW, secret: SECRET } } });
    await tokenList();
    vi.spyOn(navigator.clipboard, "writeText").mockRejectedValue(new Error("denied"));
    await user.type(screen.getByRole("textbox", { name: "Token name" }), "echo bot");
    await user.click(screen.getByRole("button", { name: "Create token" }));
    await user.click(await screen.findByRole("button", { name: "Copy" }));
    expect(await screen.findByText(/Could not copy/)).toBeInTheDocument();
    expect(window.getSelection()?.toString()).toBe(SECRET);
  });

  it("revokes a token only after confirmation", async () => {
    const user = userEvent.setup();
    const { calls } = renderPage({ "DELETE /api/tokens/3": { status: 204 } });
    const list = await tokenList();
    await user.click(within(item(list, "old script")).getByRole("button", { name: "Revoke" }));
    const confirm = screen.getByRole("group", { name: "Revoke old script?" });
    await user.click(within(confirm).getByRole("button", { name: "Cancel" }));
    expect(calls.some((call) => call.route.startsWith("DELETE"))).toBe(false);
    expect(item(list, "old script")).toBeInTheDocument();

    await user.click(within(item(list, "old script")).getByRole("button", { name: "Revoke" }));
    await user.click(screen.getByRole("button", { name: "Yes, revoke" }));
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(1));
    expect(calls.filter((call) => call.route === "DELETE /api/tokens/3")).toHaveLength(1);
    expect(list).not.toHaveTextContent("old script");
  });

  it("says why a token could not be revoked and keeps it listed", async () => {
    const user = userEvent.setup();
    renderPage({ "DELETE /api/tokens/3": { status: 503, body: { error: { code: "unavailable", message: "Try again shortly." } } } });
    const list = await tokenList();
    await user.click(within(item(list, "old script")).getByRole("button", { name: "Revoke" }));
    await user.click(screen.getByRole("button", { name: "Yes, revoke" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Try again shortly.");
    expect(item(list, "old script")).toBeInTheDocument();
  });

  it("asks for a name before sending anything", async () => {
    const user = userEvent.setup();
    const { calls } = renderPage();
    await tokenList();
    await user.click(screen.getByRole("button", { name: "Create token" }));
    expect(screen.getByRole("textbox", { name: "Token name" })).toHaveAccessibleDescription(/Give the token a name/);
    expect(calls.some((call) => call.route === "POST /api/tokens")).toBe(false);
  });

  it("explains the limit when there are too many tokens", async () => {
    const user = userEvent.setup();
    renderPage({ "POST /api/tokens": { status: 409, body: { error: { code: "too_many", message: "at most 20 tokens" } } } });
    await tokenList();
    await user.type(screen.getByRole("textbox", { name: "Token name" }), "one more");
    await user.click(screen.getByRole("button", { name: "Create token" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Revoke one first.");
    expect(screen.queryByTestId("token-secret")).toBeNull();
  });

  it("goes back to the chat", async () => {
    const user = userEvent.setup();
    const { onBack } = renderPage();
    await user.click(screen.getByRole("button", { name: "Back to chat" }));
    expect(onBack).toHaveBeenCalledOnce();
  });
});
