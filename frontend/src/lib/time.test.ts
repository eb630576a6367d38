import { describe, expect, it } from "vitest";
import { duration, laterTime } from "./time";

describe("duration", () => {
  it("says a length of time in words", () => {
    expect(duration(30_000)).toBe("1 minute");
    expect(duration(45 * 60_000)).toBe("45 minutes");
    expect(duration(60 * 60_000)).toBe("1 hour");
    expect(duration(90 * 60_000 + 400)).toBe("1 hour 30 minutes");
    expect(duration(24 * 60 * 60_000)).toBe("1 day");
    expect(duration(30 * 24 * 60 * 60_000)).toBe("30 days");
    expect(duration((24 + 6) * 60 * 60_000)).toBe("1 day 6 hours");
  });
});

describe("laterTime", () => {
  it("gives only the time later the same day, and the date too on another day", () => {
    const now = new Date(2026, 10, 28, 9, 0).getTime();
    const today = new Date(2026, 10, 28, 14, 5).toISOString();
    const later = new Date(2026, 11, 3, 14, 5).toISOString();
    expect(laterTime(today, now)).not.toMatch(/Dec|Nov/);
    expect(laterTime(later, now)).toMatch(/Dec/);
  });
});
