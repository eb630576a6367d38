import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Room } from "../api/rooms";
import type { Message } from "../api/types";
import { ALICE, stubFetch } from "../__tests__/fakeFetch";
import { renderChatPage } from "../__tests__/renderChatPage";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
  window.history.replaceState(null, "", "/");
});

function room(slug: string): Room {
  return { slug, name: slug, topic: "", created_at: "2026-11-28T10:00:00Z", member: true, unread: 0, online: 1, mentions: 0 };
}

const recent = () => new Date(Date.now() - 60_000).toISOString();

async function renderPage() {
  window.history.replaceState(null, "", "/r/general");
  stubFetch({
    "GET /api/me": { status: 200, body: { user: ALICE } },
    "GET /api/rooms": { status: 200, body: { rooms: [room("general"), room("lobby")] } },
  });
  const socket = new FakeSocket();
  renderChatPage(socket, ALICE);
  await screen.findByRole("link", { name: /^lobby/ });
  act(() => socket.serverAccepts());
  for (const slug of ["general", "lobby"]) {
    const history = slug === "general" ? [makeMessage({ id: 1, seq: 1, body: "hello in general", created_at: recent() })] : [];
    answer(socket, "join", (payload) => payload.room === slug, { ok: true, room: { slug, name: slug }, messages: history, has_more: false, seq: 1, online: [] });
  }
  return socket;
}

/** Answers the first pending emit of `event` whose payload matches. */
function answer(socket: FakeSocket, event: string, match: (payload: Record<string, unknown>) => boolean, response: unknown) {
  const item = socket.pending(event).find((entry) => match(entry.payload as Record<string, unknown>));
  if (item === undefined) throw new Error(`nothing pending for ${event}`);
  item.answered = true;
  act(() => item.ack(null, response));
}

function topPage(messages: Message[], hasMore = false) {
  return { ok: true, window: "day", messages, has_more: hasMore };
}

const ranked = [
  makeMessage({ id: 11, seq: 1, body: "best answer", upvotes: 5, score: 5, created_at: recent() }),
  makeMessage({ id: 12, seq: 1, body: "fair point", upvotes: 2, score: 2, created_at: recent() }),
  makeMessage({ id: 13, seq: 1, body: "late idea", created_at: recent() }),
];

const tabs = () => within(screen.getByRole("tablist", { name: "View" }));
const topBodies = () =>
  within(screen.getByRole("list", { name: "Top messages" }))
    .getAllByRole("listitem")
    .map((item) => item.querySelector(".message-body")?.textContent ?? item.textContent);

describe("ChatPage: the Live and Top views", () => {
  it("switches between Live and Top with the tabs, and offers the windows in Top", async () => {
    const user = userEvent.setup();
    const socket = await renderPage();
    expect(tabs().getByRole("tab", { name: "Live" })).toHaveAttribute("aria-selected", "true");
    expect(tabs().getByRole("tab", { name: "Top" })).toHaveAttribute("aria-selected", "false");
    expect(screen.getByRole("tabpanel", { name: "Live" })).toContainElement(screen.getByRole("list", { name: "Messages" }));
    expect(screen.queryByRole("combobox", { name: "Window" })).toBeNull();

    await user.click(tabs().getByRole("tab", { name: "Top" }));
    expect(tabs().getByRole("tab", { name: "Top" })).toHaveAttribute("aria-selected", "true");
    expect(socket.pending("get_top").map((item) => item.payload)).toEqual([{ room: "general", window: "day", limit: 50, offset: 0 }]);
    answer(socket, "get_top", () => true, topPage(ranked));
    expect(topBodies()).toEqual(["best answer", "fair point", "late idea"]);

    const select = screen.getByRole("combobox", { name: "Window" });
    expect(within(select).getAllByRole("option").map((option) => [option.textContent, (option as HTMLOptionElement).value])).toEqual([
      ["Hour", "hour"],
      ["Day", "day"],
      ["Week", "week"],
      ["All time", "all"],
    ]);
    await user.selectOptions(select, "week");
    expect(socket.pending("get_top")[0]?.payload).toEqual({ room: "general", window: "week", limit: 50, offset: 0 });

    // The arrow keys move between the tabs.
    tabs().getByRole("tab", { name: "Top" }).focus();
    await user.keyboard("{ArrowLeft}");
    expect(tabs().getByRole("tab", { name: "Live" })).toHaveAttribute("aria-selected", "true");
    expect(tabs().getByRole("tab", { name: "Live" })).toHaveFocus();
    expect(screen.getByRole("list", { name: "Messages" })).toBeInTheDocument();
  });

  it("holds the order while votes change it, until the pill is pressed", async () => {
    const user = userEvent.setup();
    const socket = await renderPage();
    await user.click(tabs().getByRole("tab", { name: "Top" }));
    answer(socket, "get_top", () => true, topPage(ranked));

    act(() => socket.fire("vote", { message_id: 13, room: "general", upvotes: 9, downvotes: 0, score: 9, seq: 2, collapsed: false }));
    expect(topBodies()).toEqual(["best answer", "fair point", "late idea"]);
    const late = within(screen.getByRole("list", { name: "Top messages" })).getAllByRole("listitem")[2] as HTMLElement;
    expect(within(late).getByLabelText("score")).toHaveTextContent("9");

    await user.click(screen.getByRole("button", { name: /^1 updates/ }));
    answer(socket, "get_top", (payload) => payload.offset === 0, topPage([{ ...(ranked[2] as Message), upvotes: 9, score: 9, seq: 2 }, ranked[0] as Message, ranked[1] as Message]));
    expect(topBodies()).toEqual(["late idea", "best answer", "fair point"]);
    expect(screen.queryByRole("button", { name: /updates/ })).toBeNull();
  });

  it("collapses a message voted down in both views, live, and opens it for the reader with Show", async () => {
    const user = userEvent.setup();
    const socket = await renderPage();
    const live = () => within(screen.getByRole("list", { name: "Messages" }));
    act(() => socket.fire("vote", { message_id: 1, room: "general", upvotes: 0, downvotes: 7, score: -7, seq: 2, collapsed: true }));
    expect(live().getByRole("listitem")).toHaveTextContent("Collapsed by votes (score -7) · Show");
    expect(live().queryByText("hello in general")).toBeNull();

    await user.click(tabs().getByRole("tab", { name: "Top" }));
    answer(socket, "get_top", () => true, topPage([...ranked, makeMessage({ id: 1, body: "hello in general", downvotes: 7, score: -7, seq: 2, collapsed: true })]));
    const collapsedInTop = () => within(screen.getByRole("list", { name: "Top messages" })).getAllByRole("listitem")[3] as HTMLElement;
    expect(collapsedInTop()).toHaveTextContent("Collapsed by votes (score -7) · Show");

    await user.click(within(collapsedInTop()).getByRole("button", { name: "Show" }));
    expect(within(collapsedInTop()).getByText("hello in general")).toBeInTheDocument();
    await user.click(within(collapsedInTop()).getByRole("button", { name: "Upvote" }));
    expect(socket.pending("upvote").map((item) => item.payload)).toEqual([{ message_id: 1 }]);
    answer(socket, "upvote", () => true, { ok: true, message_id: 1, upvotes: 1, downvotes: 7, score: -6, my_vote: 1, seq: 3, collapsed: true });
    expect(within(collapsedInTop()).getByRole("button", { name: "Upvote" })).toHaveAttribute("aria-pressed", "true");

    // Opened once, it stays open for this reader in Live too.
    await user.click(tabs().getByRole("tab", { name: "Live" }));
    expect(live().getByText("hello in general")).toBeInTheDocument();

    // Voted back up past the threshold, a message is no longer collapsed for anyone.
    act(() => socket.fire("vote", { message_id: 12, room: "general", upvotes: 0, downvotes: 6, score: -6, seq: 4, collapsed: true }));
    act(() => socket.fire("vote", { message_id: 12, room: "general", upvotes: 2, downvotes: 6, score: -4, seq: 5, collapsed: false }));
    await user.click(tabs().getByRole("tab", { name: "Top" }));
    const fair = within(screen.getByRole("list", { name: "Top messages" })).getAllByRole("listitem")[1] as HTMLElement;
    expect(fair).toHaveTextContent("fair point");
  });

  it("keeps each room's view and window when switching rooms", async () => {
    const user = userEvent.setup();
    const socket = await renderPage();
    await user.click(tabs().getByRole("tab", { name: "Top" }));
    answer(socket, "get_top", () => true, topPage(ranked));
    await user.selectOptions(screen.getByRole("combobox", { name: "Window" }), "all");
    answer(socket, "get_top", (payload) => payload.window === "all", { ...topPage(ranked), window: "all" });

    const nav = within(screen.getByRole("navigation", { name: "Rooms" }));
    await user.click(nav.getByRole("link", { name: /^lobby/ }));
    expect(tabs().getByRole("tab", { name: "Live" })).toHaveAttribute("aria-selected", "true");

    await user.click(nav.getByRole("link", { name: /^general/ }));
    expect(tabs().getByRole("tab", { name: "Top" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByRole("combobox", { name: "Window" })).toHaveValue("all");
    expect(topBodies()).toEqual(["best answer", "fair point", "late idea"]);
    expect(socket.all("get_top")).toHaveLength(2);
  });
});
