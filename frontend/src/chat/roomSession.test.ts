import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";
import { FORGET_STEP, GAP_TIMEOUT_MS, KEPT_AT_BOTTOM, RoomSession } from "./roomSession";

afterEach(() => {
  vi.useRealTimers();
});

const ME = 1;

function setup() {
  const socket = new FakeSocket();
  let counter = 0;
  const session = new RoomSession({ socket, room: "general", myId: ME, makeClientId: () => `c-${++counter}` });
  session.start();
  return { socket, session };
}

/** A session whose first join was answered with `ack`. */
function joinedSetup(ack: object = joinAck()) {
  const context = setup();
  context.socket.serverAccepts();
  context.socket.answer("join", ack);
  return context;
}

function joinAck(messages = [makeMessage({ id: 1 }), makeMessage({ id: 2 })], seq = 2, extra: object = {}) {
  return { ok: true, room: { slug: "general", name: "General" }, messages, has_more: false, seq, reset: false, ...extra };
}

describe("RoomSession: joining and catching up", () => {
  it("joins without after_seq on the first connect, and shows the history", () => {
    const { socket, session } = setup();
    expect(socket.all("join")).toHaveLength(0);

    socket.serverAccepts();
    expect(socket.pending("join")[0]?.payload).toEqual({ room: "general" });
    expect(session.store.getState().joined).toBe(false);

    socket.answer("join", joinAck());
    expect(session.store.getState().messages.map((m) => m.id)).toEqual([1, 2]);
    expect(session.store.getState().seqs.watermark).toBe(2);
    expect(session.store.getState().joined).toBe(true);
  });

  it("joins at once when it starts on a socket that is already connected", () => {
    const socket = new FakeSocket();
    socket.serverAccepts();
    new RoomSession({ socket, room: "general", myId: ME }).start();
    expect(socket.pending("join").map((item) => item.payload)).toEqual([{ room: "general" }]);
  });

  it("rejoins with after_seq = watermark after a reconnect and merges what it missed once", () => {
    const { socket, session } = joinedSetup();
    socket.fire("data", makeMessage({ id: 3, seq: 3 }));
    expect(session.store.getState().seqs.watermark).toBe(3);

    socket.serverDrops();
    expect(session.store.getState().joined).toBe(false);

    socket.serverAccepts();
    expect(socket.pending("join")[0]?.payload).toEqual({ room: "general", after_seq: 3 });
    socket.answer(
      "join",
      joinAck([makeMessage({ id: 3, seq: 3 }), makeMessage({ id: 2, seq: 4, upvotes: 1, score: 1 }), makeMessage({ id: 4, seq: 5 })], 5),
    );
    const state = session.store.getState();
    expect(state.messages.map((m) => m.id)).toEqual([1, 2, 3, 4]);
    expect(state.messages[1]?.score).toBe(1);
    expect(state.seqs.watermark).toBe(5);
  });

  it("starts over when the catch-up ack says reset", () => {
    const { socket, session } = joinedSetup();
    socket.serverDrops();
    socket.serverAccepts();
    socket.answer("join", joinAck([makeMessage({ id: 1500, seq: 3000 })], 3000, { reset: true, has_more: true }));
    expect(session.store.getState().messages.map((m) => m.id)).toEqual([1500]);
    expect(session.store.getState().hasMore).toBe(true);
    expect(session.store.getState().seqs.watermark).toBe(3000);
  });

  it("ignores broadcasts that are not newer than the held message", () => {
    const { socket, session } = joinedSetup(joinAck([makeMessage({ id: 1, seq: 1 })], 1));
    socket.fire("vote", { message_id: 1, room: "general", upvotes: 2, downvotes: 0, score: 2, seq: 3 });
    socket.fire("vote", { message_id: 1, room: "general", upvotes: 1, downvotes: 0, score: 1, seq: 2 });
    socket.fire("data", makeMessage({ id: 1, seq: 1 }));
    expect(session.store.getState().messages[0]).toMatchObject({ score: 2, seq: 3 });
  });

  it("applies a batch exactly like its entries one by one, telling the view once", () => {
    const { socket, session } = joinedSetup();
    const changes = vi.fn();
    session.store.subscribe(changes);
    socket.fire("batch", {
      room: "general",
      data: [makeMessage({ id: 3, seq: 3 }), makeMessage({ id: 4, seq: 4 })],
      vote: [{ message_id: 1, room: "general", upvotes: 3, downvotes: 1, score: 2, seq: 5 }],
    });
    const state = session.store.getState();
    expect(state.messages.map((m) => m.id)).toEqual([1, 2, 3, 4]);
    expect(state.messages[0]).toMatchObject({ score: 2, upvotes: 3, seq: 5 });
    expect(state.seqs.watermark).toBe(5);
    expect(changes).toHaveBeenCalledTimes(1);
    expect(session.notices.get().announcement).toBe("bob: message 4");
  });

  it("takes the seqs a paced batch covers as seen, leaving no gap to rejoin over", () => {
    const { socket, session } = joinedSetup();
    socket.fire("batch", {
      room: "general",
      data: [],
      vote: [{ message_id: 1, room: "general", upvotes: 4, downvotes: 0, score: 4, seq: 6 }],
      covers: [[3, 6]],
    });
    const state = session.store.getState();
    expect(state.messages[0]).toMatchObject({ upvotes: 4, seq: 6 });
    expect(state.seqs.watermark).toBe(6);
    expect(state.seqs.seenAbove).toEqual([]);
  });

  it("ignores a batch for another room", () => {
    const { socket, session } = joinedSetup();
    socket.fire("batch", { room: "elsewhere", data: [makeMessage({ id: 9, seq: 3, room: "elsewhere" })], vote: [] });
    expect(session.store.getState().messages.map((m) => m.id)).toEqual([1, 2]);
  });

  it("retries a join that got no answer while still connected", () => {
    vi.useFakeTimers();
    const { socket } = setup();
    socket.serverAccepts();
    socket.timeoutOldest("join");
    expect(socket.pending("join")).toHaveLength(0);
    vi.advanceTimersByTime(1500);
    expect(socket.pending("join")).toHaveLength(1);
  });

  it("catches up on the same connection when a gap in the seqs stays open", () => {
    vi.useFakeTimers();
    const { socket, session } = joinedSetup(joinAck([makeMessage({ id: 1, seq: 1 })], 1));
    // seq 2 never arrives; seq 3 is applied at once but the watermark waits for the gap.
    socket.fire("data", makeMessage({ id: 3, seq: 3 }));
    expect(session.store.getState().messages.map((m) => m.id)).toEqual([1, 3]);
    expect(session.store.getState().seqs.watermark).toBe(1);
    vi.advanceTimersByTime(GAP_TIMEOUT_MS + 10);
    expect(socket.pending("join").map((item) => item.payload)).toEqual([{ room: "general", after_seq: 1 }]);
    socket.answer("join", joinAck([makeMessage({ id: 2, seq: 2 }), makeMessage({ id: 3, seq: 3 })], 3));
    expect(session.store.getState().messages.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(session.store.getState().seqs.watermark).toBe(3);
    expect(session.store.getState().seqs.seenAbove).toEqual([]);
  });

  it("does not rejoin when the missing broadcast arrives in time", () => {
    vi.useFakeTimers();
    const { socket, session } = joinedSetup(joinAck([makeMessage({ id: 1, seq: 1 })], 1));
    socket.fire("vote", { message_id: 1, room: "general", upvotes: 1, downvotes: 0, score: 1, seq: 3 });
    socket.fire("data", makeMessage({ id: 2, seq: 2 }));
    expect(session.store.getState().seqs.watermark).toBe(3);
    vi.advanceTimersByTime(GAP_TIMEOUT_MS * 3);
    expect(socket.all("join")).toHaveLength(1);
  });

  it("announces messages from others, not our own", () => {
    const { socket, session } = joinedSetup(joinAck([], 0));
    socket.fire("data", makeMessage({ id: 5, body: "hello there", author: { id: 2, username: "bob" } }));
    expect(session.notices.get().announcement).toBe("bob: hello there");
    socket.fire("data", makeMessage({ id: 6, body: "mine", author: { id: ME, username: "me" } }));
    expect(session.notices.get().announcement).toBe("bob: hello there");
  });

  it("removes its listeners on close and leaves the tab's socket open for other rooms", () => {
    const { socket, session } = setup();
    expect(socket.listenerCount("data")).toBe(1);
    session.close();
    for (const event of ["connect", "disconnect", "data", "vote", "batch"]) expect(socket.listenerCount(event)).toBe(0);
    expect(socket.disconnectCalls).toBe(0);
  });

  it("keeps its timeline across close and start, and catches up from it", () => {
    const { socket, session } = joinedSetup();
    session.close();
    session.start();
    expect(socket.pending("join").map((item) => item.payload)).toEqual([{ room: "general", after_seq: 2 }]);
    expect(session.store.getState().messages.map((m) => m.id)).toEqual([1, 2]);
  });

  it("lets two rooms share one socket, each keeping only its own news", () => {
    const socket = new FakeSocket();
    const general = new RoomSession({ socket, room: "general", myId: ME });
    const random = new RoomSession({ socket, room: "random", myId: ME });
    general.start();
    random.start();
    socket.serverAccepts();
    expect(socket.pending("join").map((item) => item.payload)).toEqual([{ room: "general" }, { room: "random" }]);
    socket.answer("join", joinAck([], 0));
    socket.answer("join", joinAck([], 0));
    socket.fire("data", makeMessage({ id: 7, seq: 1, room: "random" }));
    expect(random.store.getState().messages.map((m) => m.id)).toEqual([7]);
    expect(general.store.getState().messages).toEqual([]);
    expect(general.store.getState().seqs.watermark).toBe(0);
  });
});

describe("RoomSession: sending", () => {
  const connected = () => joinedSetup(joinAck([], 0));

  it("shows a message as pending until its ack", () => {
    const { socket, session } = connected();
    session.send("  hello  ");
    expect(socket.pending("data")[0]?.payload).toEqual({ room: "general", body: "hello", client_id: "c-1" });
    expect(session.store.getState().outbox).toEqual([expect.objectContaining({ clientId: "c-1", status: "pending" })]);

    const message = makeMessage({ id: 1, seq: 1, body: "hello", client_id: "c-1", author: { id: ME, username: "me" } });
    socket.answer("data", { ok: true, message });
    socket.fire("data", message);
    expect(session.store.getState().outbox).toEqual([]);
    expect(session.store.getState().messages.map((m) => m.id)).toEqual([1]);
  });

  it("marks a refused message as failed, and a retry sends the same client_id", () => {
    const { socket, session } = connected();
    session.send("hello");
    socket.answer("data", { ok: false, error: { code: "rate_limited", message: "Too many messages" } });
    expect(session.store.getState().outbox[0]).toMatchObject({ status: "failed", error: "Too many messages" });

    session.retry("c-1");
    const attempts = socket.all("data").map((item) => item.payload);
    expect(attempts).toEqual([
      { room: "general", body: "hello", client_id: "c-1" },
      { room: "general", body: "hello", client_id: "c-1" },
    ]);
    expect(session.store.getState().outbox[0]?.status).toBe("pending");
  });

  it("marks a message as failed when the ack times out on a live connection", () => {
    const { socket, session } = connected();
    session.send("hello");
    socket.timeoutOldest("data");
    expect(session.store.getState().outbox[0]?.status).toBe("failed");
  });

  it("keeps messages written offline and sends them on reconnect with their client_id", () => {
    const { socket, session } = connected();
    socket.serverDrops();
    session.send("written offline");
    expect(socket.all("data")).toHaveLength(0);
    expect(session.store.getState().outbox[0]?.status).toBe("queued");

    socket.serverAccepts();
    // The outbox goes out after the catch-up join, so its echo is deduplicated against history.
    expect(socket.all("data")).toHaveLength(0);
    socket.answer("join", joinAck([], 0));
    expect(socket.pending("data").map((item) => item.payload)).toEqual([
      { room: "general", body: "written offline", client_id: "c-1" },
    ]);
  });

  it("resends a message whose ack was lost with the connection, once, with the same client_id", () => {
    const { socket, session } = connected();
    session.send("in flight");
    socket.serverDrops();
    expect(session.store.getState().outbox[0]?.status).toBe("queued");
    socket.serverAccepts();
    const stored = makeMessage({ id: 7, seq: 7, body: "in flight", client_id: "c-1", author: { id: ME, username: "me" } });
    // The server had committed it: the catch-up brings it, and the resend returns the same message.
    socket.answer("join", joinAck([stored], 7));
    expect(session.store.getState().outbox).toEqual([]);
    expect(socket.all("data")).toHaveLength(1);
    expect(session.store.getState().messages.map((m) => m.id)).toEqual([7]);
  });
});

describe("RoomSession: votes and history", () => {
  it("applies the vote ack, including our own vote", () => {
    const { socket, session } = joinedSetup(joinAck([makeMessage({ id: 4, seq: 4 })], 4));
    session.vote(4, "upvote");
    expect(socket.pending("upvote")[0]?.payload).toEqual({ message_id: 4 });
    socket.answer("upvote", { ok: true, message_id: 4, upvotes: 1, downvotes: 0, score: 1, my_vote: 1, seq: 5 });
    expect(session.store.getState().messages[0]).toMatchObject({ score: 1, my_vote: 1 });
  });

  it("loads the page before the oldest held message", async () => {
    const { socket, session } = joinedSetup(joinAck([makeMessage({ id: 51 }), makeMessage({ id: 52 })], 60, { has_more: true }));
    const done = session.loadOlder();
    expect(socket.pending("get_previous_messages")[0]?.payload).toEqual({ room: "general", before: 51 });
    socket.answer("get_previous_messages", { ok: true, messages: [makeMessage({ id: 49 }), makeMessage({ id: 50 })], has_more: false });
    await done;
    expect(session.store.getState().messages.map((m) => m.id)).toEqual([49, 50, 51, 52]);
    expect(session.store.getState().hasMore).toBe(false);
  });
});

describe("RoomSession: votes while offline and bounded history", () => {
  it("does not queue a vote made offline and says so", () => {
    const { socket, session } = joinedSetup(joinAck([makeMessage({ id: 4, seq: 4 })], 4));
    socket.serverDrops();
    session.vote(4, "upvote");
    expect(session.notices.get().notice).toBe("You are offline: the vote was not sent. Vote again once you are back.");
    socket.serverAccepts();
    socket.answer("join", joinAck([], 4));
    expect(socket.all("upvote")).toHaveLength(0);
  });

  it("says a vote was not counted when the server refuses it, and clears that on the next vote", () => {
    const { socket, session } = joinedSetup(joinAck([makeMessage({ id: 4, seq: 4 })], 4));
    session.vote(4, "downvote");
    socket.answer("downvote", { ok: false, error: { code: "rate_limited", message: "Slow down" } });
    expect(session.notices.get().notice).toBe("The vote was not counted: Slow down");
    session.vote(4, "downvote");
    socket.answer("downvote", { ok: true, message_id: 4, upvotes: 0, downvotes: 1, score: -1, my_vote: -1, seq: 5 });
    expect(session.notices.get().notice).toBeNull();
  });

  it("forgets all but the newest messages when asked at the bottom, and can load them again", () => {
    const { socket, session } = setup();
    socket.serverAccepts();
    const many = Array.from({ length: KEPT_AT_BOTTOM + FORGET_STEP }, (_, index) => makeMessage({ id: index + 1 }));
    socket.answer("join", joinAck(many, many.length));
    // Within the step nothing is forgotten: forgetting shifts every row of the list.
    session.forgetOlder();
    expect(session.store.getState().messages).toHaveLength(KEPT_AT_BOTTOM + FORGET_STEP);
    const next = KEPT_AT_BOTTOM + FORGET_STEP + 1;
    socket.fire("data", makeMessage({ id: next, seq: next }));
    session.forgetOlder();
    const state = session.store.getState();
    expect(state.messages).toHaveLength(KEPT_AT_BOTTOM);
    expect(state.messages[0]?.id).toBe(FORGET_STEP + 2);
    expect(state.hasMore).toBe(true);
    void session.loadOlder();
    expect(socket.pending("get_previous_messages")[0]?.payload).toEqual({ room: "general", before: FORGET_STEP + 2 });
  });
});

describe("RoomSession: a refused join", () => {
  it("joins again when the server was unavailable, and clears the notice once in", () => {
    vi.useFakeTimers();
    const { socket, session } = setup();
    socket.serverAccepts();
    socket.answer("join", { ok: false, error: { code: "unavailable", message: "the database is not answering" } });
    expect(session.notices.get().notice).toBe("Could not join the room: the database is not answering");
    expect(socket.pending("join")).toHaveLength(0);

    vi.advanceTimersByTime(1_000);
    expect(socket.pending("join")).toHaveLength(1);
    socket.answer("join", joinAck());
    expect(session.store.getState().joined).toBe(true);
    expect(session.notices.get().notice).toBeNull();
  });

  it("does not try again a room that does not exist", () => {
    vi.useFakeTimers();
    const { socket, session } = setup();
    socket.serverAccepts();
    socket.answer("join", { ok: false, error: { code: "not_found", message: "no such room" } });
    vi.advanceTimersByTime(60_000);
    expect(socket.all("join")).toHaveLength(1);
    expect(session.notices.get().notice).toBe("Could not join the room: no such room");
  });
});
