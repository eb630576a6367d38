import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import type { AroundPage } from "../api/search";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";
import { GAP_TIMEOUT_MS, RoomSession } from "./roomSession";

afterEach(() => {
  vi.useRealTimers();
});

const ids = (session: RoomSession) => session.store.getState().messages.map((message) => message.id);

function joinAck(messages = [makeMessage({ id: 90 }), makeMessage({ id: 100 })], seq = 100) {
  return { ok: true, room: { slug: "general", name: "General" }, messages, has_more: true, seq, reset: false };
}

/** A joined session at the live end (messages 90 and 100, seq 100), with a fake `around` loader. */
function setup(pages: Record<number, AroundPage | Error>) {
  const socket = new FakeSocket();
  const calls: number[] = [];
  const loadAround = vi.fn(async (_room: string, id: number) => {
    calls.push(id);
    const page = pages[id];
    if (page === undefined || page instanceof Error) throw page ?? new Error("no page");
    return page;
  });
  const session = new RoomSession({ socket, room: "general", myId: 1, makeClientId: () => "c-1", loadAround });
  session.start();
  socket.serverAccepts();
  socket.answer("join", joinAck());
  return { socket, session, calls };
}

const around = (messageIds: number[], hasMore: boolean, hasNewer: boolean): AroundPage => ({
  ok: true,
  messages: messageIds.map((id) => makeMessage({ id, seq: id })),
  has_more: hasMore,
  has_newer: hasNewer,
});

describe("RoomSession: opening the room at a message", () => {
  it("replaces the held list with the page around the message and leaves the live end", async () => {
    const { session } = setup({ 20: around([19, 20, 21], true, true) });
    const outcome = await session.jumpTo(20);
    expect(outcome).toEqual({ ok: true });
    expect(ids(session)).toEqual([19, 20, 21]);
    expect(session.store.getState().hasNewer).toBe(true);
    expect(session.store.getState().hasMore).toBe(true);
    expect(session.focus.get()).toMatchObject({ id: 20 });
  });

  it("shows a held message where it is, without loading anything", async () => {
    const { session, calls } = setup({});
    await session.jumpTo(90);
    expect(calls).toEqual([]);
    expect(ids(session)).toEqual([90, 100]);
    expect(session.store.getState().hasNewer).toBe(false);
    expect(session.focus.get()).toMatchObject({ id: 90 });
  });

  it("says so when the message is not there", async () => {
    const { session } = setup({ 5: new ApiError(404, { code: "not_found", message: "no such message" }) });
    const outcome = await session.jumpTo(5);
    expect(outcome.ok).toBe(false);
    expect(session.notices.get().notice).toMatch(/not in this room/);
    expect(ids(session)).toEqual([90, 100]);
  });

  it("keeps counting live changes while away, without putting them below the window", async () => {
    vi.useFakeTimers();
    const { socket, session } = setup({ 20: around([19, 20, 21], true, true) });
    await session.jumpTo(20);
    socket.fire("data", makeMessage({ id: 101, seq: 101 }));
    // An edit of a message in the window applies in place.
    socket.fire("update", makeMessage({ id: 20, seq: 102, body: "edited" }));
    expect(ids(session)).toEqual([19, 20, 21]);
    expect(session.store.getState().messages[1]?.body).toBe("edited");
    expect(session.store.getState().seqs.watermark).toBe(102);
    vi.advanceTimersByTime(GAP_TIMEOUT_MS * 2);
    // Nothing is missing, so no catch-up join is sent.
    expect(socket.pending("join")).toHaveLength(0);
  });

  it("loads newer pages and knows it is still away while a message seen live is not held", async () => {
    const { socket, session, calls } = setup({ 20: around([19, 20, 21], true, true), 21: around([20, 21, 22], true, false) });
    await session.jumpTo(20);
    socket.fire("data", makeMessage({ id: 101, seq: 101 }));
    await session.loadNewer();
    expect(calls).toEqual([20, 21]);
    expect(ids(session)).toEqual([19, 20, 21, 22]);
    // The page was read before message 101 was written: the view is not at the live end yet.
    expect(session.store.getState().hasNewer).toBe(true);
  });

  it("returns to the live end with a fresh join that brings the latest page, nothing lost", async () => {
    const { socket, session } = setup({ 20: around([19, 20, 21], true, true) });
    await session.jumpTo(20);
    socket.fire("data", makeMessage({ id: 101, seq: 101 }));
    session.returnToLive();
    expect(socket.pending("join").map((item) => item.payload)).toEqual([{ room: "general" }]);
    socket.answer("join", joinAck([makeMessage({ id: 100 }), makeMessage({ id: 101, seq: 101 })], 101));
    expect(ids(session)).toEqual([100, 101]);
    expect(session.store.getState().hasNewer).toBe(false);
    expect(session.store.getState().seqs.watermark).toBe(101);
    expect(socket.pending("join")).toHaveLength(0);
    // Live messages are appended again.
    socket.fire("data", makeMessage({ id: 102, seq: 102 }));
    expect(ids(session)).toEqual([100, 101, 102]);
  });

  it("catches up after returning when changes past the ack's seq were seen first", async () => {
    const { socket, session } = setup({ 20: around([19, 20, 21], true, true) });
    await session.jumpTo(20);
    session.returnToLive();
    // Message 101 was broadcast (by another process) before the join's answer, which predates it.
    socket.fire("data", makeMessage({ id: 101, seq: 101 }));
    socket.answer("join", joinAck([makeMessage({ id: 90 }), makeMessage({ id: 100 })], 100));
    expect(socket.pending("join").map((item) => item.payload)).toEqual([{ room: "general", after_seq: 100 }]);
    socket.answer("join", joinAck([makeMessage({ id: 101, seq: 101 })], 101));
    expect(ids(session)).toEqual([90, 100, 101]);
  });

  it("stays on the window through a reconnect, its catch-up applied only inside it", async () => {
    const { socket, session } = setup({ 20: around([19, 20, 21], true, true) });
    await session.jumpTo(20);
    socket.serverDrops();
    socket.serverAccepts();
    expect(socket.pending("join").map((item) => item.payload)).toEqual([{ room: "general", after_seq: 100 }]);
    socket.answer("join", joinAck([makeMessage({ id: 21, seq: 104, body: "edited meanwhile" }), makeMessage({ id: 105, seq: 105 })], 105));
    expect(ids(session)).toEqual([19, 20, 21]);
    expect(session.store.getState().messages[2]?.body).toBe("edited meanwhile");
    expect(session.store.getState().hasNewer).toBe(true);
    expect(session.store.getState().seqs.watermark).toBe(105);
  });

  it("goes back to the live end when the reader sends while away", async () => {
    const { socket, session } = setup({ 20: around([19, 20, 21], true, true) });
    await session.jumpTo(20);
    session.send("hello");
    expect(socket.pending("join").map((item) => item.payload)).toEqual([{ room: "general" }]);
    expect(socket.pending("data")).toHaveLength(1);
  });

  it("drops the answer of an earlier jump that comes after a later one", async () => {
    let release: (page: AroundPage) => void = () => undefined;
    const slow = new Promise<AroundPage>((resolve) => (release = resolve));
    const socket = new FakeSocket();
    const loadAround = vi.fn((_room: string, id: number) => (id === 20 ? slow : Promise.resolve(around([39, 40, 41], true, true))));
    const session = new RoomSession({ socket, room: "general", myId: 1, loadAround });
    session.start();
    socket.serverAccepts();
    socket.answer("join", joinAck());
    const first = session.jumpTo(20);
    await session.jumpTo(40);
    release(around([19, 20, 21], true, true));
    expect((await first).ok).toBe(false);
    expect(ids(session)).toEqual([39, 40, 41]);
  });
});

describe("RoomSession: opened at a message before its first join", () => {
  it("keeps the window and takes the join's seq as its watermark", async () => {
    const socket = new FakeSocket();
    const loadAround = vi.fn(async () => around([19, 20, 21], true, true));
    const session = new RoomSession({ socket, room: "general", myId: 1, loadAround });
    session.start();
    await session.jumpTo(20);
    socket.serverAccepts();
    socket.answer("join", joinAck());
    expect(ids(session)).toEqual([19, 20, 21]);
    expect(session.store.getState().hasNewer).toBe(true);
    expect(session.store.getState().seqs.watermark).toBe(100);
  });
});
