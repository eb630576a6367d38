import { describe, expect, it } from "vitest";
import { makeMessage } from "../__tests__/fakeSocket";
import { canDelete, canEdit, EDIT_WINDOW_MS, minutesProblem, moderates, needsReason, reasonProblem } from "./permissions";

const ME = 1;
const sent = "2026-11-28T12:00:00Z";
const mine = makeMessage({ id: 1, author: { id: ME, username: "me" }, created_at: sent });
const theirs = makeMessage({ id: 2, created_at: sent });

describe("permissions", () => {
  it("lets authors edit their own message until the window closes", () => {
    const start = Date.parse(sent);
    expect(canEdit(mine, ME, start + EDIT_WINDOW_MS - 1)).toBe(true);
    expect(canEdit(mine, ME, start + EDIT_WINDOW_MS)).toBe(false);
    expect(canEdit(theirs, ME, start)).toBe(false);
    expect(canEdit({ ...mine, deleted: true }, ME, start)).toBe(false);
    expect(EDIT_WINDOW_MS).toBe(15 * 60 * 1_000);
  });

  it("lets authors delete their own messages, and moderators and admins anyone's", () => {
    expect(canDelete(mine, ME, "member")).toBe(true);
    expect(canDelete(theirs, ME, "member")).toBe(false);
    expect(canDelete(theirs, ME, undefined)).toBe(false);
    expect(canDelete(theirs, ME, "moderator")).toBe(true);
    expect(canDelete(theirs, ME, "admin")).toBe(true);
    expect(canDelete({ ...theirs, deleted: true }, ME, "admin")).toBe(false);
    expect(moderates("member")).toBe(false);
    expect(needsReason(theirs, ME)).toBe(true);
    expect(needsReason(mine, ME)).toBe(false);
  });

  it("wants a reason of 1 to 200 characters after trimming", () => {
    expect(reasonProblem("   ")).toBe("Give a reason.");
    expect(reasonProblem(" spam ")).toBeNull();
    expect(reasonProblem("é".repeat(200))).toBeNull();
    expect(reasonProblem("é".repeat(201))).toBe("At most 200 characters.");
  });

  it("wants a whole number of minutes from 1 to 43,200", () => {
    expect(minutesProblem("1")).toBeNull();
    expect(minutesProblem("43200")).toBeNull();
    expect(minutesProblem("0")).toBe("From 1 to 43,200 minutes.");
    expect(minutesProblem("43201")).toBe("From 1 to 43,200 minutes.");
    expect(minutesProblem("1.5")).toBe("A whole number of minutes.");
    expect(minutesProblem("")).toBe("A whole number of minutes.");
  });
});
