import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ALICE, stubFetch } from "../__tests__/fakeFetch";
import { renderChatPage } from "../__tests__/renderChatPage";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";
import type { Role } from "../api/types";

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

const GENERAL = { slug: "general", name: "General", topic: "", created_at: "2026-11-28T10:00:00Z", member: true, unread: 0, online: 1 };

async function renderPage(role: Role = "member", path = "/r/general") {
  window.history.replaceState(null, "", path);
  const user = { ...ALICE, role };
  const server = stubFetch({
    "GET /api/me": { status: 200, body: { user } },
    "GET /api/rooms": { status: 200, body: { rooms: [GENERAL] } },
    "GET /api/rooms/general/moderation?limit=50": {
      status: 200,
      body: {
        entries: [
          {
            id: 1,
            action: "delete",
            moderator: { id: 3, username: "mia" },
            target: { id: 2, username: "bob" },
            message_id: 9,
            reason: "spam",
            until: null,
            created_at: new Date().toISOString(),
          },
        ],
        has_more: false,
      },
    },
  });
  const socket = new FakeSocket();
  renderChatPage(socket, user);
  await screen.findByRole("link", { name: /^General/ });
  act(() => socket.serverAccepts());
  return { socket, ...server };
}

function join(socket: FakeSocket) {
  const item = socket.pending("join").find((entry) => (entry.payload as { room: string }).room === "general");
  if (item === undefined) throw new Error("no join for general");
  item.answered = true;
  const history = [
    makeMessage({ id: 1, seq: 1, body: "mine to fix", author: { id: ALICE.id, username: "alice" }, created_at: new Date().toISOString() }),
    makeMessage({ id: 2, seq: 2, body: "from bob" }),
  ];
  act(() => item.ack(null, { ok: true, room: { slug: "general", name: "General" }, messages: history, has_more: false, seq: 2, online: [] }));
}

function row(text: string) {
  const found = within(screen.getByRole("list", { name: "Messages" }))
    .getAllByRole("listitem")
    .find((item) => item.textContent?.includes(text));
  if (found === undefined) throw new Error(`no message with ${text}`);
  return within(found);
}

describe("ChatPage: editing and deleting", () => {
  it("edits our own message over the socket and shows it edited", async () => {
    const user = userEvent.setup();
    const { socket } = await renderPage();
    join(socket);
    await user.click(row("mine to fix").getByRole("button", { name: "Edit" }));
    const box = screen.getByRole("textbox", { name: "Edit message" });
    await user.clear(box);
    await user.type(box, "fixed{Enter}");
    expect(socket.pending("edit")[0]?.payload).toEqual({ message_id: 1, body: "fixed" });
    act(() => {
      socket.answer("edit", {
        ok: true,
        message: makeMessage({ id: 1, seq: 3, body: "fixed", author: { id: ALICE.id, username: "alice" }, edited_at: new Date().toISOString() }),
      });
    });
    await waitFor(() => expect(screen.queryByRole("textbox", { name: "Edit message" })).toBeNull());
    expect(row("fixed").getByText("fixed").closest(".message-body")).not.toBeNull();
    expect(row("fixed").getByRole("button", { name: "edited" })).toBeInTheDocument();
  });

  it("shows a message deleted by someone else as a tombstone", async () => {
    const { socket } = await renderPage();
    join(socket);
    act(() => socket.fire("update", makeMessage({ id: 2, seq: 3, body: "", deleted: true })));
    expect(row("message deleted").queryByRole("button", { name: "Upvote" })).toBeNull();
    expect(screen.queryByText("from bob")).toBeNull();
  });

  it("gives members Delete on their own messages only", async () => {
    const first = await renderPage("member");
    join(first.socket);
    expect(row("mine to fix").getByRole("button", { name: "Delete" })).toBeInTheDocument();
    expect(row("from bob").queryByRole("button", { name: "Delete" })).toBeNull();
    expect(row("from bob").queryByRole("button", { name: "Moderate bob" })).toBeNull();
  });

  it("lets a moderator delete someone else's message with a reason", async () => {
    const user = userEvent.setup();
    const { socket } = await renderPage("moderator");
    join(socket);
    await user.click(row("from bob").getByRole("button", { name: "Delete" }));
    await user.type(screen.getByRole("textbox", { name: "Reason" }), "spam");
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete" }));
    expect(socket.pending("delete")[0]?.payload).toEqual({ message_id: 2, reason: "spam" });
    act(() => void socket.answer("delete", { ok: true, message: makeMessage({ id: 2, seq: 3, body: "", deleted: true }) }));
    expect(await screen.findByText("message deleted")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });
});

describe("ChatPage: being muted", () => {
  it("disables the composer on `muted` and enables it again on `unmuted`", async () => {
    const { socket } = await renderPage();
    join(socket);
    const box = screen.getByRole("textbox", { name: "Message" });
    act(() => socket.fire("muted", { room: "general", until: new Date(Date.now() + 3_600_000).toISOString(), reason: "cool down" }));
    expect(box).toBeDisabled();
    expect(screen.getByText(/You are muted in #general until .*Reason: cool down/)).toBeInTheDocument();
    act(() => socket.fire("unmuted", { room: "general" }));
    expect(box).toBeEnabled();
  });
});

describe("ChatPage: the moderation log", () => {
  it("opens from the room header, at its own address, and goes back to the chat", async () => {
    const user = userEvent.setup();
    const { socket } = await renderPage();
    join(socket);
    const link = screen.getByRole("link", { name: "Moderation log" });
    expect(link).toHaveAttribute("href", "/r/general/moderation");
    await user.click(link);
    expect(window.location.pathname).toBe("/r/general/moderation");
    const log = screen.getByRole("region", { name: "Moderation log" });
    expect(await within(log).findByText("Reason: spam")).toBeInTheDocument();
    expect(within(log).getByRole("listitem")).toHaveTextContent("mia deleted a message by bob");
    expect(screen.queryByRole("textbox", { name: "Message" })).toBeNull();

    await user.click(screen.getByRole("link", { name: "Back to the chat" }));
    expect(window.location.pathname).toBe("/r/general");
    expect(screen.getByRole("textbox", { name: "Message" })).toBeInTheDocument();
  });

  it("opens the log from a deep link", async () => {
    const { socket } = await renderPage("member", "/r/general/moderation");
    join(socket);
    expect(await screen.findByText("Reason: spam")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Moderation log" })).toHaveAttribute("aria-current", "page");
  });
});
