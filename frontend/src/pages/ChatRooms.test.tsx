import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Room } from "../api/rooms";
import { ALICE, stubFetch, type FakeAnswer } from "../__tests__/fakeFetch";
import { renderChatPage } from "../__tests__/renderChatPage";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";
import type { Message } from "../api/types";

const BOB = { id: 2, username: "bob" };

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  window.localStorage.clear();
  window.history.replaceState(null, "", "/");
});

function room(slug: string, extra: Partial<Room> = {}): Room {
  return { slug, name: slug, topic: "", created_at: "2026-11-28T10:00:00Z", member: true, unread: 0, online: 1, mentions: 0, ...extra };
}

const ROOMS = [room("general"), room("lobby", { unread: 2, topic: "Say hello" }), room("books", { member: false, topic: "What we read" })];

async function renderPage({ path = "/", rooms = ROOMS, createRoom }: { path?: string; rooms?: Room[]; createRoom?: () => FakeAnswer } = {}) {
  window.history.replaceState(null, "", path);
  const server = stubFetch({
    "GET /api/me": { status: 200, body: { user: ALICE } },
    "GET /api/rooms": { status: 200, body: { rooms } },
    ...(createRoom === undefined ? {} : { "POST /api/rooms": createRoom }),
  });
  const socket = new FakeSocket();
  renderChatPage(socket, ALICE);
  await screen.findByRole("link", { name: /^lobby/ });
  act(() => socket.serverAccepts());
  return { socket, ...server };
}

/** Answers the pending join of one room. */
function answerJoin(socket: FakeSocket, slug: string, history: Message[] = [], online = [{ id: ALICE.id, username: ALICE.username }]) {
  const item = socket.pending("join").find((entry) => (entry.payload as { room: string }).room === slug);
  if (item === undefined) throw new Error(`no join for ${slug}`);
  item.answered = true;
  const seq = history.reduce((top, message) => Math.max(top, message.seq), 0);
  act(() => item.ack(null, { ok: true, room: { slug, name: slug }, messages: history, has_more: false, seq, online }));
}

function joinAll(socket: FakeSocket) {
  answerJoin(socket, "general", [makeMessage({ id: 1, seq: 1, body: "hello in general" })], [{ id: 1, username: "alice" }, BOB]);
  answerJoin(socket, "lobby", [makeMessage({ id: 2, seq: 1, room: "lobby", body: "hello in lobby" })]);
}

function roomsNav() {
  return screen.getByRole("navigation", { name: "Rooms" });
}

function messages() {
  return within(screen.getByRole("list", { name: "Messages" }));
}

describe("ChatPage with rooms", () => {
  it("lists the reader's rooms with unread counts, the current one marked, and joins each", async () => {
    const { socket } = await renderPage();
    const links = within(roomsNav()).getAllByRole("link");
    expect(links.map((link) => link.textContent?.trim())).toEqual(["# general", "# lobby 2 unread"]);
    expect(within(roomsNav()).getByRole("link", { name: "general" })).toHaveAttribute("aria-current", "page");
    expect(within(roomsNav()).getByRole("link", { name: "lobby 2 unread" })).not.toHaveAttribute("aria-current");
    expect(socket.pending("join").map((item) => item.payload)).toEqual([{ room: "general" }, { room: "lobby" }]);
    expect(window.location.pathname).toBe("/r/general");
  });

  it("counts news in a room not in view, and reads it when the room is opened", async () => {
    const user = userEvent.setup();
    const { socket } = await renderPage();
    joinAll(socket);
    act(() => socket.fire("data", makeMessage({ id: 3, seq: 2, room: "lobby", author: BOB, body: "news in lobby" })));
    act(() => socket.fire("data", makeMessage({ id: 4, seq: 2, room: "general", author: BOB, body: "news in general" })));
    expect(within(roomsNav()).getByRole("link", { name: "lobby 3 unread" })).toBeInTheDocument();
    expect(within(roomsNav()).getByRole("link", { name: "general" })).toBeInTheDocument();

    await user.click(within(roomsNav()).getByRole("link", { name: /^lobby/ }));
    expect(window.location.pathname).toBe("/r/lobby");
    expect(within(roomsNav()).getByRole("link", { name: "lobby" })).toHaveAttribute("aria-current", "page");
    expect(messages().getByText("news in lobby")).toBeInTheDocument();
    expect(socket.all("read").map((item) => item.payload)).toContainEqual({ room: "lobby", message_id: 3 });
    expect(screen.getByRole("heading", { name: "lobby" })).toBeInTheDocument();
    expect(screen.getByText("Say hello")).toBeInTheDocument();
  });

  it("keeps each room's timeline: coming back shows what arrived meanwhile without joining again", async () => {
    const user = userEvent.setup();
    const { socket } = await renderPage();
    joinAll(socket);
    await user.click(within(roomsNav()).getByRole("link", { name: /^lobby/ }));
    act(() => socket.fire("data", makeMessage({ id: 5, seq: 2, author: BOB, body: "while you were away" })));
    expect(within(roomsNav()).getByRole("link", { name: "general 1 unread" })).toBeInTheDocument();

    await user.click(within(roomsNav()).getByRole("link", { name: /^general/ }));
    expect(messages().getByText("hello in general")).toBeInTheDocument();
    expect(messages().getByText("while you were away")).toBeInTheDocument();
    expect(socket.all("join")).toHaveLength(2);
  });

  it("goes back to the room before with the browser's Back", async () => {
    const user = userEvent.setup();
    const { socket } = await renderPage();
    joinAll(socket);
    await user.click(within(roomsNav()).getByRole("link", { name: /^lobby/ }));
    act(() => {
      window.history.back();
    });
    await vi.waitFor(() => expect(window.location.pathname).toBe("/r/general"));
    await vi.waitFor(() => expect(within(roomsNav()).getByRole("link", { name: "general" })).toHaveAttribute("aria-current", "page"));
  });

  it("opens the room of a deep link first, and remembers it for /", async () => {
    const { socket } = await renderPage({ path: "/r/lobby" });
    expect(socket.pending("join")[0]?.payload).toEqual({ room: "lobby" });
    answerJoin(socket, "lobby");
    expect(screen.getByRole("heading", { name: "lobby" })).toBeInTheDocument();
    expect(window.localStorage.getItem("chatroom.lastRoom")).toBe("lobby");
  });

  it("opens the last room used at /", async () => {
    window.localStorage.setItem("chatroom.lastRoom", "lobby");
    await renderPage({ path: "/" });
    expect(window.location.pathname).toBe("/r/lobby");
    expect(within(roomsNav()).getByRole("link", { name: /^lobby/ })).toHaveAttribute("aria-current", "page");
  });

  it("joins a public room from the browse list, and it becomes one of the reader's rooms", async () => {
    const user = userEvent.setup();
    const { socket } = await renderPage();
    joinAll(socket);
    expect(within(roomsNav()).queryByRole("link", { name: /^books/ })).toBeNull();
    await user.click(screen.getByRole("button", { name: /Browse rooms/ }));
    expect(screen.getByText("What we read")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Join books" }));
    expect(window.location.pathname).toBe("/r/books");
    answerJoin(socket, "books");
    expect(within(roomsNav()).getByRole("link", { name: "books" })).toHaveAttribute("aria-current", "page");
  });

  it("lists who is online and shows who is typing", async () => {
    const user = userEvent.setup();
    const { socket } = await renderPage();
    joinAll(socket);
    const online = within(screen.getByRole("region", { name: "Online" }));
    expect(online.getAllByRole("listitem").map((item) => item.textContent)).toEqual(["alice (you)", "bob"]);

    act(() => socket.fire("presence", { room: "general", online: [{ id: 1, username: "alice" }] }));
    expect(online.getAllByRole("listitem")).toHaveLength(1);

    const typing = screen.getAllByRole("status").find((element) => element.classList.contains("typing"));
    act(() => socket.fire("typing", { room: "general", user: BOB }));
    expect(typing).toHaveTextContent("bob is typing…");
    act(() => socket.fire("typing", { room: "lobby", user: { id: 3, username: "carol" } }));
    expect(typing).toHaveTextContent("bob is typing…");

    await user.type(screen.getByRole("textbox", { name: "Message" }), "hi");
    expect(socket.all("typing").map((item) => item.payload)).toEqual([{ room: "general" }]);
  });

  it("moves between rooms with Alt+Up and Alt+Down", async () => {
    const user = userEvent.setup();
    const { socket } = await renderPage();
    joinAll(socket);
    await user.keyboard("{Alt>}{ArrowDown}{/Alt}");
    expect(window.location.pathname).toBe("/r/lobby");
    await user.keyboard("{Alt>}{ArrowDown}{/Alt}");
    expect(window.location.pathname).toBe("/r/lobby");
    await user.keyboard("{Alt>}{ArrowUp}{/Alt}");
    expect(window.location.pathname).toBe("/r/general");
  });

  it("creates a room, showing the server's field error first", async () => {
    const user = userEvent.setup();
    const answers: FakeAnswer[] = [
      { status: 409, body: { error: { code: "taken", message: "A room with this name exists.", field: "name" } } },
      { status: 201, body: { room: room("cafe-unicode", { name: "Café Ünicode", topic: "Coffee" }) } },
    ];
    const { socket, calls } = await renderPage({ createRoom: () => answers.shift() ?? { status: 500 } });
    joinAll(socket);
    await user.click(screen.getByRole("button", { name: "New room" }));
    await user.type(screen.getByRole("textbox", { name: "Room name" }), "Café Ünicode");
    await user.type(screen.getByRole("textbox", { name: "Topic" }), "Coffee");
    await user.click(screen.getByRole("button", { name: "Create room" }));
    expect(await screen.findByText("A room with this name exists.")).toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Room name" })).toHaveAttribute("aria-invalid", "true");

    await user.click(screen.getByRole("button", { name: "Create room" }));
    await screen.findByRole("link", { name: "Café Ünicode" });
    const posted = calls.filter((call) => call.route === "POST /api/rooms").map((call) => JSON.parse(String(call.init?.body)));
    expect(posted).toEqual([{ name: "Café Ünicode", topic: "Coffee" }, { name: "Café Ünicode", topic: "Coffee" }]);
    expect(window.location.pathname).toBe("/r/cafe-unicode");
    expect(screen.queryByRole("textbox", { name: "Room name" })).toBeNull();
  });

  it("checks the name before asking the server", async () => {
    const user = userEvent.setup();
    const { calls } = await renderPage();
    await user.click(screen.getByRole("button", { name: "New room" }));
    await user.click(screen.getByRole("button", { name: "Create room" }));
    expect(screen.getByText("Give the room a name.")).toBeInTheDocument();
    expect(calls.some((call) => call.route === "POST /api/rooms")).toBe(false);
  });

  it("opens and closes the rooms drawer with its button, and closes it on opening a room", async () => {
    const user = userEvent.setup();
    const { socket } = await renderPage();
    joinAll(socket);
    const toggle = screen.getByRole("button", { name: "Rooms" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    expect(document.getElementById("room-drawer")).toHaveClass("sidebar-open");
    await user.keyboard("{Escape}");
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    await user.click(toggle);
    await user.click(within(roomsNav()).getByRole("link", { name: /^lobby/ }));
    expect(toggle).toHaveAttribute("aria-expanded", "false");
  });
});
