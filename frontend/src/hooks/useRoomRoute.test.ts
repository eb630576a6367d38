import { afterEach, describe, expect, it } from "vitest";
import { rememberRoom, roomFromPath, roomPath } from "./useRoomRoute";

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
