import { describe, expect, it } from "vitest";
import { compareRank, movesToRank, wilsonLowerBound } from "./ranking";

const Z = 1.959963984540054;

/** The formula of docs/protocol.md, written out once more as the reference. */
function reference(up: number, down: number): number {
  const n = up + down;
  const p = up / n;
  return (p + (Z * Z) / (2 * n) - Z * Math.sqrt((p * (1 - p) + (Z * Z) / (4 * n)) / n)) / (1 + (Z * Z) / n);
}

const item = (id: number, upvotes: number, downvotes: number) => ({ id, upvotes, downvotes });

describe("wilsonLowerBound", () => {
  it("is exactly 0 without upvotes, votes or not", () => {
    expect(wilsonLowerBound(0, 0)).toBe(0);
    expect(wilsonLowerBound(0, 7)).toBe(0);
  });

  it.each([
    [1, 0],
    [100, 10],
    [3, 2],
    [5, 5],
  ])("follows the formula for %i up and %i down", (up, down) => {
    expect(wilsonLowerBound(up, down)).toBeCloseTo(reference(up, down), 12);
  });

  it("ranks 100 up and 10 down far above a single upvote", () => {
    expect(wilsonLowerBound(1, 0)).toBeCloseTo(0.206549, 6);
    expect(wilsonLowerBound(100, 10)).toBeCloseTo(0.840703, 6);
  });
});

describe("compareRank", () => {
  it("orders by the lower bound, highest first, then by id, lowest first", () => {
    const messages = [item(5, 0, 0), item(4, 0, 9), item(3, 1, 0), item(2, 100, 10), item(1, 0, 0), item(6, 1, 0)];
    expect([...messages].sort(compareRank).map((message) => message.id)).toEqual([2, 3, 6, 1, 4, 5]);
  });
});

describe("movesToRank", () => {
  it("is 0 for a list already in rank order", () => {
    expect(movesToRank([item(1, 5, 0), item(2, 3, 0), item(3, 0, 0)])).toBe(0);
    expect(movesToRank([])).toBe(0);
  });

  it("counts one move for one message that overtakes all the others", () => {
    expect(movesToRank([item(1, 5, 0), item(2, 4, 0), item(3, 3, 0), item(4, 50, 0)])).toBe(1);
  });

  it("counts each message out of place", () => {
    // Rank order is 4, 3, 2, 1: only one of the four can stay.
    expect(movesToRank([item(1, 1, 0), item(2, 2, 0), item(3, 3, 0), item(4, 4, 0)])).toBe(3);
  });
});
