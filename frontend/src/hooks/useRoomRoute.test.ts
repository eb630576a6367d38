import { afterEach, describe, expect, it } from "vitest";
import { paneFromPath, rememberRoom, roomFromPath, roomPath } from "./useRoomRoute";

afterEach(() => {
  window.localStorage.clear();
});

describe("room paths", () => {
  it("reads the slug of /r/<slug>", () => {
    expect(roomFromPath("/r/lobby")).toBe("lobby");
    expect(roomFromPath("/r/lobby/")).toBe("lobby");
    expect(roomFromPath(roomPath("café"))).toBe("café");
  });

  it("falls back to the last room used, else general", () => {
    expect(roomFromPath("/")).toBe("general");
    expect(roomFromPath("/r/%E0%A4%A")).toBe("general");
    rememberRoom("lobby");
    expect(roomFromPath("/")).toBe("lobby");
    expect(roomFromPath("/something/else")).toBe("lobby");
  });
});

describe("the moderation log's path", () => {
  it("reads /r/<slug>/moderation as the room's log", () => {
    expect(roomFromPath("/r/lobby/moderation")).toBe("lobby");
    expect(paneFromPath("/r/lobby/moderation")).toBe("moderation");
    expect(paneFromPath("/r/lobby/moderation/")).toBe("moderation");
    expect(paneFromPath("/r/lobby")).toBe("chat");
    expect(paneFromPath("/r/lobby/other")).toBe("chat");
    expect(roomPath("café", "moderation")).toBe("/r/caf%C3%A9/moderation");
  });
});
