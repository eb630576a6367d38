import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it, vi } from "vitest";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";
import { SocketProvider } from "../socket/SocketContext";
import { GAP_TIMEOUT_MS, useChat, type UseChatOptions } from "./useChat";

const ME = 1;

function setup(options: Partial<UseChatOptions> = {}) {
  const socket = new FakeSocket();
  let counter = 0;
  const wrapper = ({ children }: { children: ReactNode }) => <SocketProvider socket={socket}>{children}</SocketProvider>;
  const hook = renderHook(
    () => useChat({ room: "general", myId: ME, makeClientId: () => `c-${++counter}`, ...options }),
    { wrapper },
  );
  return { socket, hook };
}

function joinAck(messages = [makeMessage({ id: 1 }), makeMessage({ id: 2 })], seq = 2, extra: object = {}) {
  return { ok: true, room: { slug: "general", name: "General" }, messages, has_more: false, seq, reset: false, ...extra };
}

describe("useChat: joining and catching up", () => {
  it("connects, joins without after_seq the first time, and shows the history", () => {
    const { socket, hook } = setup();
    expect(socket.connectCalls).toBe(1);
    expect(hook.result.current.connection).toBe("connecting");

    act(() => socket.serverAccepts());
    expect(hook.result.current.connection).toBe("connected");
    expect(socket.pending("join")[0]?.payload).toEqual({ room: "general" });

    act(() => void socket.answer("join", joinAck()));
    expect(hook.result.current.state.messages.map((m) => m.id)).toEqual([1, 2]);
    expect(hook.result.current.state.watermark).toBe(2);
  });

  it("rejoins with after_seq = watermark after a reconnect and merges what it missed once", () => {
    const { socket, hook } = setup();
    act(() => socket.serverAccepts());
    act(() => void socket.answer("join", joinAck()));
    act(() => socket.fire("data", makeMessage({ id: 3, seq: 3 })));
    expect(hook.result.current.state.watermark).toBe(3);

    act(() => socket.serverDrops());
    expect(hook.result.current.connection).toBe("reconnecting");

    act(() => socket.serverAccepts());
    expect(socket.pending("join")[0]?.payload).toEqual({ room: "general", after_seq: 3 });
    act(
      () =>
        void socket.answer(
          "join",
          joinAck([makeMessage({ id: 3, seq: 3 }), makeMessage({ id: 2, seq: 4, upvotes: 1, score: 1 }), makeMessage({ id: 4, seq: 5 })], 5),
        ),
    );
    const { state } = hook.result.current;
    expect(state.messages.map((m) => m.id)).toEqual([1, 2, 3, 4]);
    expect(state.messages[1]?.score).toBe(1);
    expect(state.watermark).toBe(5);
  });

  it("starts over when the catch-up ack says reset", () => {
    const { socket, hook } = setup();
    act(() => socket.serverAccepts());
    act(() => void socket.answer("join", joinAck()));
    act(() => socket.serverDrops());
    act(() => socket.serverAccepts());
    act(() => void socket.answer("join", joinAck([makeMessage({ id: 1500, seq: 3000 })], 3000, { reset: true, has_more: true })));
    expect(hook.result.current.state.messages.map((m) => m.id)).toEqual([1500]);
    expect(hook.result.current.state.hasMore).toBe(true);
    expect(hook.result.current.state.watermark).toBe(3000);
  });

  it("ignores broadcasts that are not newer than the held message", () => {
    const { socket, hook } = setup();
    act(() => socket.serverAccepts());
    act(() => void socket.answer("join", joinAck([makeMessage({ id: 1, seq: 1 })], 1)));
    act(() => socket.fire("vote", { message_id: 1, room: "general", upvotes: 2, downvotes: 0, score: 2, seq: 3 }));
    act(() => socket.fire("vote", { message_id: 1, room: "general", upvotes: 1, downvotes: 0, score: 1, seq: 2 }));
    act(() => socket.fire("data", makeMessage({ id: 1, seq: 1 })));
    expect(hook.result.current.state.messages[0]).toMatchObject({ score: 2, seq: 3 });
  });

  it("applies a batch exactly like its entries one by one", () => {
    const { socket, hook } = setup();
    act(() => socket.serverAccepts());
    act(() => void socket.answer("join", joinAck()));
    act(() =>
      socket.fire("batch", {
        room: "general",
        data: [makeMessage({ id: 3, seq: 3 }), makeMessage({ id: 4, seq: 4 })],
        vote: [{ message_id: 1, room: "general", upvotes: 3, downvotes: 1, score: 2, seq: 5 }],
      }),
    );
    const { state } = hook.result.current;
    expect(state.messages.map((m) => m.id)).toEqual([1, 2, 3, 4]);
    expect(state.messages[0]).toMatchObject({ score: 2, upvotes: 3, seq: 5 });
    expect(state.watermark).toBe(5);
  });

  it("takes the seqs a paced batch covers as seen, leaving no gap to rejoin over", () => {
    const { socket, hook } = setup();
    act(() => socket.serverAccepts());
    act(() => void socket.answer("join", joinAck()));
    act(() =>
      socket.fire("batch", {
        room: "general",
        data: [],
        vote: [{ message_id: 1, room: "general", upvotes: 4, downvotes: 0, score: 4, seq: 6 }],
        covers: [[3, 6]],
      }),
    );
    const { state } = hook.result.current;
    expect(state.messages[0]).toMatchObject({ upvotes: 4, seq: 6 });
    expect(state.watermark).toBe(6);
    expect(state.seenAbove).toEqual([]);
  });

  it("ignores a batch for another room", () => {
    const { socket, hook } = setup();
    act(() => socket.serverAccepts());
    act(() => void socket.answer("join", joinAck()));
    act(() => socket.fire("batch", { room: "elsewhere", data: [makeMessage({ id: 9, seq: 3, room: "elsewhere" })], vote: [] }));
    expect(hook.result.current.state.messages.map((m) => m.id)).toEqual([1, 2]);
  });

  it("retries a join that got no answer while still connected", () => {
    vi.useFakeTimers();
    try {
      const { socket } = setup();
      act(() => socket.serverAccepts());
      act(() => socket.timeoutOldest("join"));
      expect(socket.pending("join")).toHaveLength(0);
      act(() => vi.advanceTimersByTime(1500));
      expect(socket.pending("join")).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("catches up on the same connection when a gap in the seqs stays open", () => {
    vi.useFakeTimers();
    try {
      const { socket, hook } = setup();
      act(() => socket.serverAccepts());
      act(() => void socket.answer("join", joinAck([makeMessage({ id: 1, seq: 1 })], 1)));
      // seq 2 never arrives; seq 3 is applied at once but the watermark waits for the gap.
      act(() => socket.fire("data", makeMessage({ id: 3, seq: 3 })));
      expect(hook.result.current.state.messages.map((m) => m.id)).toEqual([1, 3]);
      expect(hook.result.current.state.watermark).toBe(1);
      act(() => vi.advanceTimersByTime(GAP_TIMEOUT_MS + 10));
      expect(socket.pending("join").map((item) => item.payload)).toEqual([{ room: "general", after_seq: 1 }]);
      act(
        () =>
          void socket.answer("join", joinAck([makeMessage({ id: 2, seq: 2 }), makeMessage({ id: 3, seq: 3 })], 3)),
      );
      expect(hook.result.current.state.messages.map((m) => m.id)).toEqual([1, 2, 3]);
      expect(hook.result.current.state.watermark).toBe(3);
      expect(hook.result.current.state.seenAbove).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not rejoin when the missing broadcast arrives in time", () => {
    vi.useFakeTimers();
    try {
      const { socket, hook } = setup();
      act(() => socket.serverAccepts());
      act(() => void socket.answer("join", joinAck([makeMessage({ id: 1, seq: 1 })], 1)));
      act(() => socket.fire("vote", { message_id: 1, room: "general", upvotes: 1, downvotes: 0, score: 1, seq: 3 }));
      act(() => socket.fire("data", makeMessage({ id: 2, seq: 2 })));
      expect(hook.result.current.state.watermark).toBe(3);
      act(() => vi.advanceTimersByTime(GAP_TIMEOUT_MS * 3));
      expect(socket.all("join")).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("announces messages from others, not our own", () => {
    const { socket, hook } = setup();
    act(() => socket.serverAccepts());
    act(() => void socket.answer("join", joinAck([], 0)));
    act(() => socket.fire("data", makeMessage({ id: 5, body: "hello there", author: { id: 2, username: "bob" } })));
    expect(hook.result.current.announcement).toBe("bob: hello there");
    act(() => socket.fire("data", makeMessage({ id: 6, body: "mine", author: { id: ME, username: "me" } })));
    expect(hook.result.current.announcement).toBe("bob: hello there");
  });

  it("removes its listeners and disconnects on unmount", () => {
    const { socket, hook } = setup();
    expect(socket.listenerCount("data")).toBe(1);
    hook.unmount();
    expect(socket.listenerCount("data")).toBe(0);
    expect(socket.listenerCount("connect")).toBe(0);
    expect(socket.disconnectCalls).toBe(1);
  });

  it("asks whether the session holds when the server refuses the connection", async () => {
    const onConnectionRefused = vi.fn(() => Promise.resolve(false));
    const { socket } = setup({ onConnectionRefused });
    socket.active = false;
    act(() => socket.fire("connect_error", new Error("unauthorized")));
    expect(onConnectionRefused).toHaveBeenCalledTimes(1);
    await act(async () => {});
  });

  it("passes session_ended on", () => {
    const onSessionEnded = vi.fn();
    const { socket } = setup({ onSessionEnded });
    act(() => socket.fire("session_ended", { reason: "logged_out" }));
    expect(onSessionEnded).toHaveBeenCalledTimes(1);
  });
});

describe("useChat: sending", () => {
  function connected() {
    const ctx = setup();
    act(() => ctx.socket.serverAccepts());
    act(() => void ctx.socket.answer("join", joinAck([], 0)));
    return ctx;
  }

  it("shows a message as pending until its ack", () => {
    const { socket, hook } = connected();
    act(() => hook.result.current.send("  hello  "));
    expect(socket.pending("data")[0]?.payload).toEqual({ room: "general", body: "hello", client_id: "c-1" });
    expect(hook.result.current.state.outbox).toEqual([expect.objectContaining({ clientId: "c-1", status: "pending" })]);

    const message = makeMessage({ id: 1, seq: 1, body: "hello", client_id: "c-1", author: { id: ME, username: "me" } });
    act(() => void socket.answer("data", { ok: true, message }));
    act(() => socket.fire("data", message));
    expect(hook.result.current.state.outbox).toEqual([]);
    expect(hook.result.current.state.messages.map((m) => m.id)).toEqual([1]);
  });

  it("marks a refused message as failed, and a retry sends the same client_id", () => {
    const { socket, hook } = connected();
    act(() => hook.result.current.send("hello"));
    act(
      () => void socket.answer("data", { ok: false, error: { code: "rate_limited", message: "Too many messages" } }),
    );
    expect(hook.result.current.state.outbox[0]).toMatchObject({ status: "failed", error: "Too many messages" });

    act(() => hook.result.current.retry("c-1"));
    const attempts = socket.all("data").map((item) => item.payload);
    expect(attempts).toEqual([
      { room: "general", body: "hello", client_id: "c-1" },
      { room: "general", body: "hello", client_id: "c-1" },
    ]);
    expect(hook.result.current.state.outbox[0]?.status).toBe("pending");
  });

  it("marks a message as failed when the ack times out on a live connection", () => {
    const { socket, hook } = connected();
    act(() => hook.result.current.send("hello"));
    act(() => socket.timeoutOldest("data"));
    expect(hook.result.current.state.outbox[0]?.status).toBe("failed");
  });

  it("keeps messages written offline and sends them on reconnect with their client_id", () => {
    const { socket, hook } = connected();
    act(() => socket.serverDrops());
    act(() => hook.result.current.send("written offline"));
    expect(socket.all("data")).toHaveLength(0);
    expect(hook.result.current.state.outbox[0]?.status).toBe("queued");

    act(() => socket.serverAccepts());
    // The outbox goes out after the catch-up join, so its echo is deduplicated against history.
    expect(socket.all("data")).toHaveLength(0);
    act(() => void socket.answer("join", joinAck([], 0)));
    expect(socket.pending("data").map((item) => item.payload)).toEqual([
      { room: "general", body: "written offline", client_id: "c-1" },
    ]);
  });

  it("resends a message whose ack was lost with the connection, once, with the same client_id", () => {
    const { socket, hook } = connected();
    act(() => hook.result.current.send("in flight"));
    act(() => socket.serverDrops());
    expect(hook.result.current.state.outbox[0]?.status).toBe("queued");
    act(() => socket.serverAccepts());
    const stored = makeMessage({ id: 7, seq: 7, body: "in flight", client_id: "c-1", author: { id: ME, username: "me" } });
    // The server had committed it: the catch-up brings it, and the resend returns the same message.
    act(() => void socket.answer("join", joinAck([stored], 7)));
    expect(hook.result.current.state.outbox).toEqual([]);
    expect(socket.all("data")).toHaveLength(1);
    expect(hook.result.current.state.messages.map((m) => m.id)).toEqual([7]);
  });
});

describe("useChat: votes and history", () => {
  it("applies the vote ack, including our own vote", () => {
    const { socket, hook } = setup();
    act(() => socket.serverAccepts());
    act(() => void socket.answer("join", joinAck([makeMessage({ id: 4, seq: 4 })], 4)));
    act(() => hook.result.current.vote(4, "upvote"));
    expect(socket.pending("upvote")[0]?.payload).toEqual({ message_id: 4 });
    act(
      () =>
        void socket.answer("upvote", { ok: true, message_id: 4, upvotes: 1, downvotes: 0, score: 1, my_vote: 1, seq: 5 }),
    );
    expect(hook.result.current.state.messages[0]).toMatchObject({ score: 1, myVote: 1 });
  });

  it("loads the page before the oldest held message", async () => {
    const { socket, hook } = setup();
    act(() => socket.serverAccepts());
    act(() => void socket.answer("join", joinAck([makeMessage({ id: 51 }), makeMessage({ id: 52 })], 60, { has_more: true })));
    let done: Promise<void> = Promise.resolve();
    act(() => {
      done = hook.result.current.loadOlder();
    });
    expect(socket.pending("get_previous_messages")[0]?.payload).toEqual({ room: "general", before: 51 });
    await act(async () => {
      socket.answer("get_previous_messages", { ok: true, messages: [makeMessage({ id: 49 }), makeMessage({ id: 50 })], has_more: false });
      await done;
    });
    expect(hook.result.current.state.messages.map((m) => m.id)).toEqual([49, 50, 51, 52]);
    expect(hook.result.current.state.hasMore).toBe(false);
  });
});
