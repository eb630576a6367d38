import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Room } from "../api/rooms";
import type { Message } from "../api/types";
import { ALICE, stubFetch, type FakeAnswer } from "../__tests__/fakeFetch";
import { renderChatPage } from "../__tests__/renderChatPage";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";

const BOB = { id: 2, username: "bob" };

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
  window.history.replaceState(null, "", "/");
});

function room(slug: string, extra: Partial<Room> = {}): Room {
  return { slug, name: slug, topic: "", created_at: "2026-11-28T10:00:00Z", member: true, unread: 0, online: 1, mentions: 0, ...extra };
}

const ROOMS = [room("general"), room("lobby")];

async function renderPage(routes: Record<string, FakeAnswer | (() => FakeAnswer)> = {}) {
  const server = stubFetch({
    "GET /api/me": { status: 200, body: { user: ALICE } },
    "GET /api/rooms": { status: 200, body: { rooms: ROOMS } },
    "GET /api/mentions?limit=30": { status: 200, body: { messages: [], has_more: false } },
    ...routes,
  });
  const socket = new FakeSocket();
  renderChatPage(socket, ALICE);
  await screen.findByRole("link", { name: /^lobby/ });
  act(() => socket.serverAccepts());
  return { socket, ...server };
}

function answerJoin(socket: FakeSocket, slug: string, history: Message[], seq: number) {
  const item = socket.pending("join").find((entry) => (entry.payload as { room: string }).room === slug);
  if (item === undefined) throw new Error(`no join for ${slug}`);
  item.answered = true;
  act(() => item.ack(null, { ok: true, room: { slug, name: slug }, messages: history, has_more: true, seq, online: [] }));
}

const mention = (id: number, slug: string, body: string) => makeMessage({ id, seq: id, room: slug, author: BOB, body, mentions: ["alice"] });

describe("ChatPage: mentions", () => {
  it("names the unseen count on the Mentions button, badges the room, and opens the room at a mention", async () => {
    const user = userEvent.setup();
    const around = mention(7, "lobby", "@alice have a look");
    const { socket, calls } = await renderPage({
      "GET /api/mentions?limit=30": { status: 200, body: { messages: [mention(5, "general", "@alice hi")], has_more: false } },
      "GET /api/rooms/lobby/messages?around=7&limit=50": {
        status: 200,
        body: { messages: [makeMessage({ id: 6, room: "lobby" }), around, makeMessage({ id: 8, room: "lobby" })], has_more: true, has_newer: true },
      },
    });
    answerJoin(socket, "general", [makeMessage({ id: 1 })], 1);
    answerJoin(socket, "lobby", [makeMessage({ id: 20, room: "lobby" })], 20);
    expect(await screen.findByRole("button", { name: "Mentions (1 unseen)" })).toBeInTheDocument();

    act(() => socket.fire("mention", { message: around }));
    expect(screen.getByRole("button", { name: "Mentions (2 unseen)" })).toBeInTheDocument();
    const rooms = within(screen.getByRole("navigation", { name: "Rooms" }));
    expect(rooms.getByRole("link", { name: /^lobby/ })).toHaveTextContent("1 mention");
    // The same mention again (an edit) counts once.
    act(() => socket.fire("mention", { message: { ...around, seq: 30 } }));
    expect(screen.getByRole("button", { name: "Mentions (2 unseen)" })).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Mentions (2 unseen)" }));
    expect(screen.getByRole("button", { name: "Mentions" })).toHaveAttribute("aria-expanded", "true");
    const list = within(screen.getByRole("list", { name: "Your mentions" }));
    expect(list.getAllByRole("listitem")).toHaveLength(2);

    await user.click(list.getByRole("button", { name: /have a look/ }));
    expect(window.location.pathname).toBe("/r/lobby");
    expect(calls.map((call) => call.route)).toContain("GET /api/rooms/lobby/messages?around=7&limit=50");
    const item = await screen.findByText("have a look", { exact: false, selector: ".message-body *" });
    const row = item.closest("li") as HTMLElement;
    expect(row).toHaveClass("message-flash");
    expect(row).toHaveClass("message-mentions-me");
    expect(screen.getByRole("button", { name: /Jump to latest/ })).toBeInTheDocument();
  });

  it("asks for notification permission only from the explicit control", async () => {
    const user = userEvent.setup();
    const requestPermission = vi.fn(async () => "granted" as NotificationPermission);
    vi.stubGlobal("Notification", Object.assign(vi.fn(), { permission: "default", requestPermission }));
    await renderPage();
    expect(requestPermission).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Mentions" }));
    expect(requestPermission).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Turn on notifications" }));
    expect(requestPermission).toHaveBeenCalledTimes(1);
  });
});

describe("ChatPage: search", () => {
  const hit = makeMessage({ id: 3, body: "🎉 found the needle", author: BOB });
  const second = makeMessage({ id: 2, body: "another needle", author: BOB });

  it("shows ranked results with the matches marked, loads more, and opens the room at one", async () => {
    const user = userEvent.setup();
    const { socket, calls } = await renderPage({
      "GET /api/rooms/general/search?q=needle&limit=20": {
        status: 200,
        body: { messages: [hit], highlights: { "3": [[12, 18]] }, has_more: true, next_cursor: "c2" },
      },
      "GET /api/rooms/general/search?q=needle&limit=20&cursor=c2": {
        status: 200,
        body: { messages: [second], highlights: { "2": [[8, 14]] }, has_more: false, next_cursor: null },
      },
      "GET /api/rooms/general/messages?around=2&limit=50": {
        status: 200,
        body: { messages: [makeMessage({ id: 1 }), second, hit], has_more: false, has_newer: true },
      },
    });
    answerJoin(socket, "general", [makeMessage({ id: 90, body: "latest" })], 90);

    const box = screen.getByRole("searchbox", { name: "Search messages" });
    await user.type(box, "needle{Enter}");
    const results = await screen.findByRole("list", { name: "Search results" });
    expect(within(results).getAllByRole("listitem")).toHaveLength(1);
    expect(results.querySelector("mark")).toHaveTextContent(/^needle$/);

    await user.click(screen.getByRole("button", { name: "Load more results" }));
    await waitFor(() => expect(within(results).getAllByRole("listitem")).toHaveLength(2));
    expect(Array.from(results.querySelectorAll("mark"), (mark) => mark.textContent)).toEqual(["needle", "needle"]);

    await user.click(within(results).getByRole("button", { name: /another needle/ }));
    expect(screen.queryByRole("list", { name: "Search results" })).toBeNull();
    expect(calls.map((call) => call.route)).toContain("GET /api/rooms/general/messages?around=2&limit=50");
    const list = within(await screen.findByRole("list", { name: "Messages" }));
    await waitFor(() => expect(list.getByText("another needle").closest("li")).toHaveClass("message-flash"));
    expect(list.queryByText("latest")).toBeNull();

    // Back to the live end: a fresh join brings the latest page.
    await user.click(screen.getByRole("button", { name: /Jump to latest/ }));
    expect(socket.pending("join").map((item) => item.payload)).toContainEqual({ room: "general" });
    answerJoin(socket, "general", [makeMessage({ id: 90, body: "latest" }), makeMessage({ id: 91, body: "newer still" })], 91);
    expect(list.getByText("newer still")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Jump to latest/ })).toBeNull();
  });

  it("says when nothing matches, and shows the server's refusal", async () => {
    const user = userEvent.setup();
    await renderPage({
      "GET /api/rooms/general/search?q=nothing&limit=20": { status: 200, body: { messages: [], highlights: {}, has_more: false, next_cursor: null } },
      "GET /api/rooms/general/search?q=%3F%3F&limit=20": { status: 400, body: { error: { code: "invalid", message: "q: nothing to search for", field: "q" } } },
    });
    const box = screen.getByRole("searchbox", { name: "Search messages" });
    await user.type(box, "nothing{Enter}");
    expect(await screen.findByText("No messages in #general match “nothing”.")).toBeInTheDocument();
    await user.clear(box);
    await user.type(box, "??{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("q: nothing to search for");
    await user.type(box, "{Escape}");
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
