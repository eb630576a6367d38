import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { stubFetch } from "../__tests__/fakeFetch";
import type { ModerationEntry } from "../api/moderation";
import { ModerationLog } from "./ModerationLog";

afterEach(() => {
  vi.unstubAllGlobals();
});

const now = Date.parse("2026-11-28T12:00:00Z");
const mod = { id: 1, username: "mia" };
const bob = { id: 2, username: "bob" };

function entry(id: number, overrides: Partial<ModerationEntry> = {}): ModerationEntry {
  return {
    id,
    action: "delete",
    moderator: mod,
    target: bob,
    message_id: 40 + id,
    reason: `reason ${id}`,
    until: null,
    created_at: "2026-11-28T11:50:00Z",
    ...overrides,
  };
}

describe("ModerationLog", () => {
  it("lists who did what to whom, when, why and for how long, newest first", async () => {
    stubFetch({
      "GET /api/rooms/general/moderation?limit=50": {
        status: 200,
        body: {
          entries: [
            entry(3, { action: "unmute", message_id: null, reason: "" }),
            entry(2, { action: "mute", message_id: null, until: "2026-11-28T13:50:00Z", reason: "flooding" }),
            entry(1, { reason: "spam" }),
          ],
          has_more: false,
        },
      },
    });
    render(<ModerationLog room="general" now={now} chatHref="/r/general" onBack={vi.fn()} />);
    const list = await screen.findByRole("list", { name: "Moderation actions" });
    const items = within(list).getAllByRole("listitem");
    expect(items).toHaveLength(3);
    expect(items[0]).toHaveTextContent("mia lifted the mute of bob");
    expect(items[1]).toHaveTextContent("mia muted bob for 2 hours");
    expect(items[1]).toHaveTextContent("Reason: flooding");
    expect(items[2]).toHaveTextContent("mia deleted a message by bob (message 41)");
    expect(items[2]).toHaveTextContent("Reason: spam");
    expect(items[2]).toHaveTextContent("10 min ago");
    expect(screen.queryByRole("button", { name: "Load older entries" })).toBeNull();
  });

  it("pages back with before = the oldest entry shown", async () => {
    const user = userEvent.setup();
    const { calls } = stubFetch({
      "GET /api/rooms/general/moderation?limit=50": { status: 200, body: { entries: [entry(9), entry(8)], has_more: true } },
      "GET /api/rooms/general/moderation?limit=50&before=8": { status: 200, body: { entries: [entry(5)], has_more: false } },
    });
    render(<ModerationLog room="general" now={now} chatHref="/r/general" onBack={vi.fn()} />);
    await user.click(await screen.findByRole("button", { name: "Load older entries" }));
    await screen.findByText("Reason: reason 5");
    expect(within(screen.getByRole("list", { name: "Moderation actions" })).getAllByRole("listitem")).toHaveLength(3);
    expect(calls.map((call) => call.route)).toEqual([
      "GET /api/rooms/general/moderation?limit=50",
      "GET /api/rooms/general/moderation?limit=50&before=8",
    ]);
    expect(screen.queryByRole("button", { name: "Load older entries" })).toBeNull();
  });

  it("says which role was given", async () => {
    stubFetch({
      "GET /api/rooms/general/moderation?limit=50": {
        status: 200,
        body: {
          entries: [
            entry(2, { action: "role", role: "member", message_id: null, reason: "" }),
            entry(1, { action: "role", role: "moderator", message_id: null, reason: "trusted" }),
          ],
          has_more: false,
        },
      },
    });
    render(<ModerationLog room="general" now={now} chatHref="/r/general" onBack={vi.fn()} />);
    const items = within(await screen.findByRole("list", { name: "Moderation actions" })).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("mia removed bob as a moderator");
    expect(items[1]).toHaveTextContent("mia made bob a moderator");
  });

  it("says when there is nothing yet", async () => {
    stubFetch({ "GET /api/rooms/quiet/moderation?limit=50": { status: 200, body: { entries: [], has_more: false } } });
    render(<ModerationLog room="quiet" now={now} chatHref="/r/quiet" onBack={vi.fn()} />);
    expect(await screen.findByText("No moderation actions in #quiet yet.")).toBeInTheDocument();
  });

  it("offers to try again when the log cannot be loaded", async () => {
    const user = userEvent.setup();
    let fail = true;
    stubFetch({
      "GET /api/rooms/general/moderation?limit=50": () =>
        fail ? "network down" : { status: 200, body: { entries: [entry(1)], has_more: false } },
    });
    render(<ModerationLog room="general" now={now} chatHref="/r/general" onBack={vi.fn()} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("The moderation log could not be loaded: Cannot reach the server.");
    fail = false;
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("Reason: reason 1")).toBeInTheDocument();
  });

  it("goes back to the chat", async () => {
    const user = userEvent.setup();
    stubFetch({ "GET /api/rooms/general/moderation?limit=50": { status: 200, body: { entries: [], has_more: false } } });
    const onBack = vi.fn();
    render(<ModerationLog room="general" now={now} chatHref="/r/general" onBack={onBack} />);
    await user.click(screen.getByRole("link", { name: "Back to the chat" }));
    expect(onBack).toHaveBeenCalled();
  });
});
