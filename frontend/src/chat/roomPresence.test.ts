import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";
import { RoomSession, TYPING_SEND_INTERVAL_MS, TYPING_SHOWN_MS } from "./roomSession";

afterEach(() => {
  vi.useRealTimers();
});

const ME = 1;
const ALICE = { id: 1, username: "alice" };
const BOB = { id: 2, username: "bob" };
const CAROL = { id: 3, username: "carol" };

function joined(online = [ALICE, BOB]) {
  const socket = new FakeSocket();
  const session = new RoomSession({ socket, room: "lobby", myId: ME });
  session.start();
  socket.serverAccepts();
  socket.answer("join", { ok: true, room: { slug: "lobby", name: "Lobby" }, messages: [], has_more: false, seq: 0, online });
  return { socket, session };
}

describe("RoomSession: presence", () => {
  it("takes who is online from the join ack, then from presence broadcasts of its own room", () => {
    const { socket, session } = joined();
    expect(session.online.get()).toEqual([ALICE, BOB]);

    socket.fire("presence", { room: "other", online: [CAROL] });
    expect(session.online.get()).toEqual([ALICE, BOB]);

    socket.fire("presence", { room: "lobby", online: [ALICE, CAROL] });
    expect(session.online.get()).toEqual([ALICE, CAROL]);
  });

  it("takes the list again from the ack of a re-join", () => {
    const { socket, session } = joined();
    socket.serverDrops();
    socket.serverAccepts();
    socket.answer("join", { ok: true, room: { slug: "lobby", name: "Lobby" }, messages: [], has_more: false, seq: 0, online: [ALICE] });
    expect(session.online.get()).toEqual([ALICE]);
  });
});

describe("RoomSession: typing", () => {
  it("shows who types for 6 s after their last typing broadcast", () => {
    vi.useFakeTimers();
    const { socket, session } = joined();
    socket.fire("typing", { room: "lobby", user: BOB });
    expect(session.typing.get()).toEqual([BOB]);

    vi.advanceTimersByTime(TYPING_SHOWN_MS - 1_000);
    socket.fire("typing", { room: "lobby", user: BOB });
    vi.advanceTimersByTime(TYPING_SHOWN_MS - 1_000);
    expect(session.typing.get()).toEqual([BOB]);

    vi.advanceTimersByTime(1_000);
    expect(session.typing.get()).toEqual([]);
  });

  it("ignores other rooms and the reader, keeps several people, and drops one whose message arrived", () => {
    vi.useFakeTimers();
    const { socket, session } = joined();
    socket.fire("typing", { room: "other", user: BOB });
    socket.fire("typing", { room: "lobby", user: ALICE });
    expect(session.typing.get()).toEqual([]);

    socket.fire("typing", { room: "lobby", user: BOB });
    socket.fire("typing", { room: "lobby", user: CAROL });
    expect(session.typing.get()).toEqual([BOB, CAROL]);

    socket.fire("data", makeMessage({ id: 1, seq: 1, room: "lobby", author: BOB }));
    expect(session.typing.get()).toEqual([CAROL]);
  });

  it("sends typing at most once per 3 s, and not while offline", () => {
    vi.useFakeTimers();
    const { socket, session } = joined();
    session.notifyTyping();
    session.notifyTyping();
    expect(socket.all("typing").map((item) => item.payload)).toEqual([{ room: "lobby" }]);

    vi.advanceTimersByTime(TYPING_SEND_INTERVAL_MS - 1);
    session.notifyTyping();
    expect(socket.all("typing")).toHaveLength(1);

    vi.advanceTimersByTime(1);
    session.notifyTyping();
    expect(socket.all("typing")).toHaveLength(2);

    vi.advanceTimersByTime(TYPING_SEND_INTERVAL_MS);
    socket.serverDrops();
    session.notifyTyping();
    expect(socket.all("typing")).toHaveLength(2);
  });

  it("forgets who was typing when it closes", () => {
    vi.useFakeTimers();
    const { socket, session } = joined();
    socket.fire("typing", { room: "lobby", user: BOB });
    session.close();
    expect(session.typing.get()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
