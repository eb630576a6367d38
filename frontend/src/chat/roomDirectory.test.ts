import { describe, expect, it } from "vitest";
import type { Room } from "../api/rooms";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";
import { RoomDirectory, sortRooms } from "./roomDirectory";

const ME = 1;

function room(slug: string, extra: Partial<Room> = {}): Room {
  return { slug, name: slug, topic: "", created_at: "2026-11-28T10:00:00Z", member: true, unread: 0, online: 1, mentions: 0, ...extra };
}

async function started(rooms: Room[] = [room("general"), room("lobby", { unread: 2 })]) {
  const socket = new FakeSocket();
  socket.serverAccepts();
  let answer = rooms;
  let loads = 0;
  const directory = new RoomDirectory({
    socket,
    myId: ME,
    loadRooms: () => {
      loads += 1;
      return Promise.resolve(answer);
    },
  });
  directory.start();
  await directory.reload();
  return {
    socket,
    directory,
    unread: (slug: string) => directory.find(slug)?.unread,
    setAnswer: (next: Room[]) => (answer = next),
    loads: () => loads,
  };
}

describe("RoomDirectory", () => {
  it("sorts members first, then the others, each by name ignoring case", () => {
    const sorted = sortRooms([room("b", { name: "beta", member: false }), room("z", { name: "Zeta" }), room("a", { name: "alpha" }), room("c", { name: "Alpha2", member: false })]);
    expect(sorted.map((r) => r.slug)).toEqual(["a", "z", "c", "b"]);
  });

  it("counts messages by others in rooms not in view, once each", async () => {
    const { socket, directory, unread } = await started();
    directory.setCurrent("general");
    socket.fire("data", makeMessage({ id: 10, room: "lobby" }));
    socket.fire("data", makeMessage({ id: 10, room: "lobby" }));
    socket.fire("batch", { room: "lobby", data: [makeMessage({ id: 11, room: "lobby" }), makeMessage({ id: 12, room: "lobby", author: { id: ME, username: "alice" } })], vote: [] });
    socket.fire("data", makeMessage({ id: 13, room: "general" }));
    expect(unread("lobby")).toBe(4);
    expect(unread("general")).toBe(0);
  });

  it("sends read for the newest message seen, drops the count, and takes the ack's count", async () => {
    const { socket, directory, unread } = await started();
    directory.markRead("lobby", 40);
    expect(unread("lobby")).toBe(0);
    expect(socket.pending("read")[0]?.payload).toEqual({ room: "lobby", message_id: 40 });
    socket.answer("read", { ok: true, unread: 1 });
    expect(unread("lobby")).toBe(1);

    directory.markRead("lobby", 40);
    directory.markRead("lobby", 39);
    expect(socket.all("read")).toHaveLength(1);
  });

  it("sends read again after one that failed", async () => {
    const { socket, directory } = await started();
    directory.markRead("lobby", 40);
    socket.timeoutOldest("read");
    directory.markRead("lobby", 40);
    expect(socket.all("read")).toHaveLength(2);
  });

  it("takes counts from the reader's other tabs and online counts from presence", async () => {
    const { socket, directory, unread } = await started();
    socket.fire("unread", { room: "lobby", unread: 0 });
    expect(unread("lobby")).toBe(0);
    socket.fire("presence", { room: "lobby", online: [{ id: 1, username: "alice" }, { id: 2, username: "bob" }, { id: 3, username: "carol" }] });
    expect(directory.find("lobby")?.online).toBe(3);
  });

  it("loads the counts again after a reconnect, not on the first connect", async () => {
    const { socket, unread, setAnswer, loads } = await started();
    expect(loads()).toBe(2);
    setAnswer([room("general"), room("lobby", { unread: 7 })]);
    socket.serverDrops();
    socket.serverAccepts();
    await Promise.resolve();
    await Promise.resolve();
    expect(loads()).toBe(3);
    expect(unread("lobby")).toBe(7);
  });

  it("adds a created room in order and marks a joined one as a member", async () => {
    const { directory } = await started([room("general"), room("zoo", { member: false })]);
    directory.upsert(room("books"));
    expect(directory.state.get().rooms.map((r) => r.slug)).toEqual(["books", "general", "zoo"]);
    directory.markMember("zoo");
    expect(directory.find("zoo")?.member).toBe(true);
  });

  it("says when the list could not be loaded", async () => {
    const socket = new FakeSocket();
    const directory = new RoomDirectory({ socket, myId: ME, loadRooms: () => Promise.reject(new Error("down")) });
    directory.start();
    await directory.reload();
    expect(directory.state.get().status).toBe("failed");
  });

  it("counts mentions of the reader in rooms not in view, and clears them when the room is read", async () => {
    const { socket, directory } = await started([room("general"), room("lobby", { mentions: 1 })]);
    directory.setCurrent("general");
    const mentions = (slug: string) => directory.find(slug)?.mentions ?? 0;
    socket.fire("mention", { message: makeMessage({ id: 10, room: "lobby", mentions: ["alice"] }) });
    socket.fire("mention", { message: makeMessage({ id: 10, room: "lobby", seq: 11, mentions: ["alice"] }) });
    socket.fire("mention", { message: makeMessage({ id: 11, room: "general", mentions: ["alice"] }) });
    expect(mentions("lobby")).toBe(2);
    expect(mentions("general")).toBe(0);
    socket.fire("unread", { room: "lobby", unread: 4, mentions: 3 });
    expect(mentions("lobby")).toBe(3);
    directory.markRead("lobby", 12);
    expect(mentions("lobby")).toBe(0);
    socket.answer("read", { ok: true, unread: 0, mentions: 0 });
    expect(mentions("lobby")).toBe(0);
  });
});
