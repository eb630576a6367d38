import { describe, expect, it } from "vitest";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";
import type { Message, TopWindow } from "../api/types";
import { RoomSession } from "./roomSession";
import { TopFeed } from "./topFeed";

const NOW = Date.parse("2026-11-28T12:00:00Z");
const MINUTE = 60_000;

function setup({ connected = true }: { connected?: boolean } = {}) {
  const socket = new FakeSocket();
  if (connected) socket.serverAccepts();
  const held: Message[] = [];
  const feed = new TopFeed({ socket, room: "general", lookup: (id) => held.find((message) => message.id === id), now: () => NOW });
  return { socket, feed, held };
}

function page(messages: Message[], hasMore = false, window: TopWindow = "day") {
  return { ok: true, window, messages, has_more: hasMore };
}

/** A message written `minutesAgo` before NOW with these totals. */
function ranked(id: number, upvotes: number, downvotes = 0, minutesAgo = 5, extra: Partial<Message> = {}): Message {
  const createdAt = new Date(NOW - minutesAgo * MINUTE).toISOString();
  return makeMessage({ id, upvotes, downvotes, score: upvotes - downvotes, created_at: createdAt, seq: id, ...extra });
}

function totals(messageId: number, upvotes: number, downvotes: number, seq: number, extra: object = {}) {
  return { message_id: messageId, room: "general", upvotes, downvotes, score: upvotes - downvotes, seq, collapsed: false, ...extra };
}

/** A feed showing A (5 up), B (2 up) and C (no votes), in that order. */
function shownABC(hasMore = false) {
  const context = setup();
  context.feed.open();
  context.socket.answer("get_top", page([ranked(1, 5), ranked(2, 2), ranked(3, 0)], hasMore));
  return context;
}

const ids = (feed: TopFeed) => feed.state.get().messages.map((message) => message.id);

describe("TopFeed: pages of the ranking", () => {
  it("loads the first page of the day when opened, once", () => {
    const { socket, feed } = setup();
    feed.open();
    expect(socket.pending("get_top").map((item) => item.payload)).toEqual([{ room: "general", window: "day", limit: 50, offset: 0 }]);
    expect(feed.state.get().status).toBe("loading");

    socket.answer("get_top", page([ranked(2, 4), ranked(1, 1)], true));
    expect(ids(feed)).toEqual([2, 1]);
    expect(feed.state.get()).toMatchObject({ status: "ready", hasMore: true, updates: 0 });

    feed.open();
    expect(socket.all("get_top")).toHaveLength(1);
  });

  it("pages further from the number shown, keeping a message already shown where it is", () => {
    const { socket, feed } = shownABC(true);
    feed.loadMore();
    expect(socket.pending("get_top")[0]?.payload).toEqual({ room: "general", window: "day", limit: 50, offset: 3 });
    feed.loadMore();
    expect(socket.pending("get_top")).toHaveLength(1);

    socket.answer("get_top", page([ranked(3, 0), ranked(4, 0)], false));
    expect(ids(feed)).toEqual([1, 2, 3, 4]);
    expect(feed.state.get()).toMatchObject({ hasMore: false, busy: null });
  });

  it("shows another window from its first page, and drops the answer for the one left", () => {
    const { socket, feed } = setup();
    feed.open();
    feed.setWindow("hour");
    expect(socket.pending("get_top").map((item) => (item.payload as { window: string }).window)).toEqual(["day", "hour"]);

    socket.answer("get_top", page([ranked(9, 1)]));
    expect(feed.state.get()).toMatchObject({ status: "loading", window: "hour" });
    socket.answer("get_top", page([ranked(1, 1)], false, "hour"));
    expect(ids(feed)).toEqual([1]);
  });

  it("waits for the connection when opened offline, and loads once connected", () => {
    const { socket, feed } = setup({ connected: false });
    feed.open();
    expect(feed.state.get().status).toBe("waiting");
    expect(socket.all("get_top")).toHaveLength(0);

    socket.serverAccepts();
    feed.connected();
    socket.answer("get_top", page([ranked(1, 1)]));
    expect(feed.state.get().status).toBe("ready");
  });

  it("says why a refused page failed, and loads again when asked", () => {
    const { socket, feed } = setup();
    feed.open();
    socket.answer("get_top", { ok: false, error: { code: "not_found", message: "No such room." } });
    expect(feed.state.get()).toMatchObject({ status: "failed", error: "The top messages could not be loaded: No such room." });

    feed.reload();
    socket.answer("get_top", page([ranked(1, 1)]));
    expect(feed.state.get()).toMatchObject({ status: "ready", error: null });
  });

  it("asks for the ranking again in pages of at most 100 when more are shown", () => {
    const { socket, feed } = setup();
    const many = (from: number) => Array.from({ length: 50 }, (_, index) => ranked(from + index, 0));
    feed.open();
    socket.answer("get_top", page(many(1), true));
    feed.loadMore();
    socket.answer("get_top", page(many(51), true));
    feed.loadMore();
    socket.answer("get_top", page(many(101), true));
    feed.noteTotals([totals(150, 9, 0, 500)], null);

    feed.applyUpdates();
    expect(socket.pending("get_top")[0]?.payload).toMatchObject({ limit: 100, offset: 0 });
    socket.answer("get_top", page([ranked(150, 9), ...many(1), ...many(51).slice(0, 49)], true));
    expect(socket.pending("get_top")[0]?.payload).toMatchObject({ limit: 50, offset: 100 });
    socket.answer("get_top", page([...many(51).slice(49), ...many(101).slice(0, 49)], true));
    expect(feed.state.get().messages).toHaveLength(150);
    expect(ids(feed)[0]).toBe(150);
  });
});

describe("TopFeed: the order holds while the ranking changes", () => {
  it("updates the numbers of a message shown in place and counts the move", () => {
    const { feed } = shownABC();
    feed.noteTotals([totals(3, 9, 0, 10)], null);
    expect(ids(feed)).toEqual([1, 2, 3]);
    expect(feed.state.get().messages[2]).toMatchObject({ upvotes: 9, score: 9, seq: 10 });
    expect(feed.state.get().updates).toBe(1);
  });

  it("counts nothing for news that keeps the order, nor for stale news", () => {
    const { feed } = shownABC();
    feed.noteTotals([totals(1, 6, 0, 10)], null);
    expect(feed.state.get().updates).toBe(0);
    feed.noteTotals([totals(3, 9, 0, 11), totals(3, 0, 0, 12)], null);
    expect(feed.state.get().updates).toBe(0);
    feed.noteTotals([totals(3, 50, 0, 5)], null);
    expect(feed.state.get().messages[2]?.upvotes).toBe(0);
  });

  it("applies the new order on request, from the first page", () => {
    const { socket, feed } = shownABC();
    feed.noteTotals([totals(3, 9, 0, 10)], null);
    const { generation } = feed.state.get();

    feed.applyUpdates();
    expect(feed.state.get().busy).toBe("refresh");
    expect(socket.pending("get_top")[0]?.payload).toEqual({ room: "general", window: "day", limit: 50, offset: 0 });
    socket.answer("get_top", page([ranked(3, 9, 0, 5, { seq: 10 }), ranked(1, 5), ranked(2, 2)]));
    expect(ids(feed)).toEqual([3, 1, 2]);
    expect(feed.state.get()).toMatchObject({ updates: 0, busy: null, generation: generation + 1 });
  });

  it("counts a message not shown that would come in above the last one shown", () => {
    const { feed, held } = shownABC(true);
    held.push(ranked(7, 0, 0, 10));
    feed.noteTotals([totals(7, 4, 0, 20)], null);
    expect(feed.state.get().updates).toBe(1);
    // Voted down again, it would not come in any more.
    feed.noteTotals([totals(7, 0, 1, 21)], null);
    expect(feed.state.get().updates).toBe(0);
  });

  it("does not count a message written before the window, nor one it cannot place in time", () => {
    const { socket, feed, held } = setup();
    feed.setWindow("hour");
    socket.answer("get_top", page([ranked(1, 5), ranked(2, 2)], true, "hour"));
    held.push(ranked(7, 0, 0, 90));
    feed.noteTotals([totals(7, 9, 0, 20), totals(8, 9, 0, 21)], null);
    expect(feed.state.get().updates).toBe(0);

    feed.setWindow("all");
    socket.answer("get_top", page([ranked(1, 5), ranked(2, 2)], true, "all"));
    feed.noteTotals([totals(8, 9, 0, 22)], null);
    expect(feed.state.get().updates).toBe(1);
  });

  it("counts a new message when the whole window is shown", () => {
    const { feed } = shownABC(false);
    feed.noteMessages([ranked(10, 0, 0, 0)], "broadcast");
    expect(feed.state.get().updates).toBe(1);
  });

  it("takes the reader's own vote from the ack and keeps it through broadcasts", () => {
    const { feed } = shownABC();
    feed.noteTotals([totals(2, 3, 0, 10)], 1);
    expect(feed.state.get().messages[1]).toMatchObject({ my_vote: 1, upvotes: 3 });
    feed.noteTotals([totals(2, 4, 0, 11)], null);
    expect(feed.state.get().messages[1]).toMatchObject({ my_vote: 1, upvotes: 4 });
  });

  it("collapses and opens a message in place as votes say", () => {
    const { feed } = shownABC();
    feed.noteTotals([totals(3, 0, 5, 10, { collapsed: true })], null);
    expect(feed.state.get().messages[2]).toMatchObject({ collapsed: true, score: -5 });
    feed.noteTotals([totals(3, 1, 5, 11, { collapsed: false })], null);
    expect(feed.state.get().messages[2]?.collapsed).toBe(false);
  });

  it("applies votes that came while a page was on its way", () => {
    const { socket, feed } = setup();
    feed.open();
    feed.noteTotals([totals(2, 7, 0, 40)], null);
    socket.answer("get_top", page([ranked(1, 5), ranked(2, 2)]));
    expect(feed.state.get().messages[1]).toMatchObject({ upvotes: 7, seq: 40 });
    expect(feed.state.get().updates).toBe(1);
  });
});

describe("RoomSession feeds its Top view", () => {
  function joinedSession() {
    const socket = new FakeSocket();
    const session = new RoomSession({ socket, room: "general", myId: 1 });
    session.start();
    socket.serverAccepts();
    socket.answer("join", { ok: true, room: { slug: "general", name: "General" }, messages: [], has_more: false, seq: 3, online: [] });
    session.top.open();
    socket.answer("get_top", page([ranked(1, 5), ranked(2, 2), ranked(3, 0)]));
    return { socket, session };
  }

  it("passes on the room's vote broadcasts and batches, not another room's", () => {
    const { socket, session } = joinedSession();
    socket.fire("vote", totals(3, 9, 0, 4));
    socket.fire("vote", { ...totals(2, 50, 0, 5), room: "lobby" });
    socket.fire("batch", { room: "general", data: [], vote: [totals(2, 3, 0, 5, { collapsed: false })] });
    expect(session.top.state.get().messages.map((message) => message.upvotes)).toEqual([5, 3, 9]);
    expect(session.top.state.get().updates).toBe(1);
  });

  it("passes on the reader's own vote from its ack", () => {
    const { socket, session } = joinedSession();
    session.vote(3, "downvote");
    socket.answer("downvote", { ok: true, message_id: 3, upvotes: 0, downvotes: 1, score: -1, my_vote: -1, seq: 4 });
    expect(session.top.state.get().messages[2]).toMatchObject({ my_vote: -1, downvotes: 1 });
  });

  it("loads a Top view opened offline once the socket connects", () => {
    const socket = new FakeSocket();
    const session = new RoomSession({ socket, room: "general", myId: 1 });
    session.start();
    session.top.open();
    expect(session.top.state.get().status).toBe("waiting");
    socket.serverAccepts();
    expect(socket.pending("get_top")).toHaveLength(1);
  });
});
