import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";
import { RoomSession, UNKNOWN_MUTE_MS } from "./roomSession";

afterEach(() => {
  vi.useRealTimers();
});

const ME = 1;
const mine = { id: ME, username: "me" };

function joined(messages = [makeMessage({ id: 1, author: mine }), makeMessage({ id: 2 })], seq = 2) {
  const socket = new FakeSocket();
  let counter = 0;
  const session = new RoomSession({ socket, room: "general", myId: ME, makeClientId: () => `c-${++counter}` });
  session.start();
  socket.serverAccepts();
  socket.answer("join", { ok: true, room: { slug: "general", name: "General" }, messages, has_more: false, seq, reset: false });
  return { socket, session };
}

describe("RoomSession: edits and deletes from others", () => {
  it("applies an `update` broadcast as the message's new state, and says nothing in the live region", () => {
    const { socket, session } = joined();
    socket.fire("update", makeMessage({ id: 2, seq: 3, body: "better words", edited_at: "2026-11-28T10:05:00Z" }));
    const state = session.store.getState();
    expect(state.messages[1]).toMatchObject({ body: "better words", edited_at: "2026-11-28T10:05:00Z" });
    expect(state.seqs.watermark).toBe(3);
    expect(session.notices.get().announcement).toBe("");
  });

  it("applies a batch's `update` list with its `data` and votes in one change", () => {
    const { socket, session } = joined();
    const changes = vi.fn();
    session.store.subscribe(changes);
    socket.fire("batch", {
      room: "general",
      data: [makeMessage({ id: 3, seq: 3 })],
      vote: [],
      update: [makeMessage({ id: 2, seq: 4, body: "", deleted: true })],
    });
    const state = session.store.getState();
    expect(state.messages.map((m) => [m.id, m.deleted])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
    expect(state.seqs.watermark).toBe(4);
    expect(changes).toHaveBeenCalledTimes(1);
    expect(session.notices.get().announcement).toBe("bob: message 3");
  });

  it("ignores updates of other rooms", () => {
    const { socket, session } = joined();
    socket.fire("update", makeMessage({ id: 2, seq: 3, room: "lobby", body: "elsewhere" }));
    expect(session.store.getState().messages[1]?.body).toBe("message 2");
  });

  it("leaves a gap for a lost update, and catches up with after_seq", () => {
    vi.useFakeTimers();
    const { socket, session } = joined();
    socket.fire("update", makeMessage({ id: 1, seq: 4, author: mine, body: "second edit" }));
    expect(session.store.getState().seqs.watermark).toBe(2);
    vi.advanceTimersByTime(1_000);
    expect(socket.pending("join")[0]?.payload).toEqual({ room: "general", after_seq: 2 });
    socket.answer("join", {
      ok: true,
      room: { slug: "general", name: "General" },
      messages: [makeMessage({ id: 2, seq: 3, body: "", deleted: true }), makeMessage({ id: 1, seq: 4, author: mine, body: "second edit" })],
      has_more: false,
      seq: 4,
      reset: false,
    });
    const state = session.store.getState();
    expect(state.messages[1]).toMatchObject({ deleted: true });
    expect(state.seqs.watermark).toBe(4);
  });
});

describe("RoomSession: editing and deleting our own", () => {
  it("sends `edit` and shows the acked message at once", async () => {
    const { socket, session } = joined();
    const outcome = session.edit(1, "new words");
    expect(socket.pending("edit")[0]?.payload).toEqual({ message_id: 1, body: "new words" });
    socket.answer("edit", { ok: true, message: makeMessage({ id: 1, seq: 3, author: mine, body: "new words", edited_at: "2026-11-28T10:05:00Z" }) });
    await expect(outcome).resolves.toEqual({ ok: true });
    expect(session.store.getState().messages[0]).toMatchObject({ body: "new words", seq: 3 });
  });

  it("gives back the server's reason when an edit is refused", async () => {
    const { socket, session } = joined();
    const outcome = session.edit(1, "too late");
    socket.answer("edit", { ok: false, error: { code: "forbidden", message: "the edit window is over" } });
    await expect(outcome).resolves.toEqual({ ok: false, error: "The change was not saved: the edit window is over" });
    expect(session.store.getState().messages[0]?.body).toBe("message 1");
  });

  it("refuses to edit while offline, without sending", async () => {
    const { socket, session } = joined();
    socket.serverDrops();
    await expect(session.edit(1, "x")).resolves.toEqual({ ok: false, error: "The change was not saved: you are offline." });
    expect(socket.all("edit")).toHaveLength(0);
  });

  it("deletes without a reason for our own message, with one for a moderator's", async () => {
    const { socket, session } = joined();
    const own = session.remove(1);
    expect(socket.pending("delete")[0]?.payload).toEqual({ message_id: 1 });
    socket.answer("delete", { ok: true, message: makeMessage({ id: 1, seq: 3, author: mine, body: "", deleted: true }) });
    await expect(own).resolves.toEqual({ ok: true });
    expect(session.store.getState().messages[0]).toMatchObject({ deleted: true, body: "" });

    const theirs = session.remove(2, "spam");
    expect(socket.pending("delete")[0]?.payload).toEqual({ message_id: 2, reason: "spam" });
    socket.timeoutOldest("delete");
    await expect(theirs).resolves.toEqual({ ok: false, error: "The message was not deleted: no answer from the server." });
  });

  it("mutes someone in this room", async () => {
    const { socket, session } = joined();
    const outcome = session.mute("bob", 30, "flooding");
    expect(socket.pending("mute")[0]?.payload).toEqual({ room: "general", username: "bob", minutes: 30, reason: "flooding" });
    socket.answer("mute", { ok: true });
    await expect(outcome).resolves.toEqual({ ok: true });
  });
});

describe("RoomSession: being muted", () => {
  it("holds the mute from `muted` until `unmuted`", () => {
    const { socket, session } = joined();
    const until = new Date(Date.now() + 60 * 60_000).toISOString();
    socket.fire("muted", { room: "lobby", until, reason: "elsewhere" });
    expect(session.muted.get()).toBeNull();
    socket.fire("muted", { room: "general", until, reason: "flooding" });
    expect(session.muted.get()).toEqual({ until, reason: "flooding" });
    socket.fire("unmuted", { room: "general" });
    expect(session.muted.get()).toBeNull();
  });

  it("ends the mute by itself when its time passes", () => {
    vi.useFakeTimers();
    const { socket, session } = joined();
    const until = new Date(Date.now() + 5 * 60_000).toISOString();
    socket.fire("muted", { room: "general", until, reason: "cool down" });
    vi.advanceTimersByTime(5 * 60_000 - 1);
    expect(session.muted.get()).not.toBeNull();
    vi.advanceTimersByTime(1);
    expect(session.muted.get()).toBeNull();
  });

  it("waits out a mute longer than the longest timer", () => {
    vi.useFakeTimers();
    const { socket, session } = joined();
    const thirtyDays = 30 * 24 * 60 * 60_000;
    socket.fire("muted", { room: "general", until: new Date(Date.now() + thirtyDays).toISOString(), reason: "r" });
    vi.advanceTimersByTime(thirtyDays - 1_000);
    expect(session.muted.get()).not.toBeNull();
    vi.advanceTimersByTime(1_000);
    expect(session.muted.get()).toBeNull();
  });

  it("takes a `muted` refusal of a send as a mute until the time its message names", () => {
    const { socket, session } = joined();
    const until = new Date(Date.now() + 10 * 60_000);
    until.setMilliseconds(0);
    session.send("hello?");
    socket.answer("data", { ok: false, error: { code: "muted", message: `you are muted here until ${until.toISOString()}` } });
    expect(session.muted.get()).toEqual({ until: until.toISOString(), reason: "" });
    expect(session.store.getState().outbox[0]).toMatchObject({ status: "failed", error: `you are muted here until ${until.toISOString()}` });
  });

  it("keeps a refused send's mute for a while when its message names no time", () => {
    vi.useFakeTimers();
    const { socket, session } = joined();
    session.send("hello?");
    socket.answer("data", { ok: false, error: { code: "muted", message: "you are muted" } });
    expect(session.muted.get()).toEqual({ until: null, reason: "" });
    vi.advanceTimersByTime(UNKNOWN_MUTE_MS);
    expect(session.muted.get()).toBeNull();
  });

  it("does not take other refusals for a mute", () => {
    const { socket, session } = joined();
    session.send("hello?");
    socket.answer("data", { ok: false, error: { code: "rate_limited", message: "slow down until 2030-01-01T00:00:00Z" } });
    expect(session.muted.get()).toBeNull();
  });

  it("learns of a running mute from the join ack, and of its end from the next one", () => {
    const socket = new FakeSocket();
    const session = new RoomSession({ socket, room: "general", myId: ME });
    session.start();
    socket.serverAccepts();
    const until = new Date(Date.now() + 60 * 60_000).toISOString();
    const ack = { ok: true, room: { slug: "general", name: "General" }, messages: [], has_more: false, seq: 0, reset: false };
    socket.answer("join", { ...ack, muted: { until, reason: "flooding" } });
    expect(session.muted.get()).toEqual({ until, reason: "flooding" });
    socket.serverDrops();
    socket.serverAccepts();
    socket.answer("join", { ...ack, muted: null });
    expect(session.muted.get()).toBeNull();
  });
});
