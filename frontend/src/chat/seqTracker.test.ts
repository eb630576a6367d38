import { describe, expect, it } from "vitest";
import { lowerBound, SeqTracker } from "./seqTracker";

const joinedAt = (seq: number) => SeqTracker.unjoined.rebase(seq);

describe("SeqTracker", () => {
  it("has no watermark before the first join and keeps what it saw for it", () => {
    const tracker = SeqTracker.unjoined.note(8).note(6);
    expect(tracker.watermark).toBeNull();
    expect(tracker.seenAbove).toEqual([6, 8]);
    expect(tracker.hasGap).toBe(false);
    const joined = tracker.rebase(6);
    expect(joined.watermark).toBe(6);
    expect(joined.seenAbove).toEqual([8]);
    expect(joined.hasGap).toBe(true);
  });

  it("advances over consecutive seqs only", () => {
    let tracker = joinedAt(10).note(12);
    expect(tracker.watermark).toBe(10);
    expect(tracker.hasGap).toBe(true);
    tracker = tracker.note(11);
    expect(tracker.watermark).toBe(12);
    expect(tracker.seenAbove).toEqual([]);
    expect(tracker.hasGap).toBe(false);
  });

  it("returns itself for a seq already seen or below the watermark", () => {
    const tracker = joinedAt(10).note(13);
    expect(tracker.note(9)).toBe(tracker);
    expect(tracker.note(10)).toBe(tracker);
    expect(tracker.note(13)).toBe(tracker);
  });

  it("keeps the seqs above a gap in order, whatever order they came in", () => {
    const tracker = joinedAt(1).note(9).note(4).note(7).note(4);
    expect(tracker.seenAbove).toEqual([4, 7, 9]);
    expect(tracker.note(2).note(3).watermark).toBe(4);
  });

  it("takes a covered range as seen, joining it to the watermark", () => {
    const tracker = joinedAt(10).note(13).cover(11, 12);
    expect(tracker.watermark).toBe(13);
    expect(tracker.seenAbove).toEqual([]);
  });

  it("keeps a covered range above a gap until the gap fills", () => {
    let tracker = joinedAt(10).cover(12, 14);
    expect(tracker.watermark).toBe(10);
    expect(tracker.seenAbove).toEqual([12, 13, 14]);
    tracker = tracker.note(11);
    expect(tracker.watermark).toBe(14);
  });

  it("covers a long range at the watermark without walking it", () => {
    const tracker = joinedAt(10).cover(5, 1_000_000);
    expect(tracker.watermark).toBe(1_000_000);
  });

  it("rebases on a join ack and drops what the ack already includes", () => {
    const tracker = joinedAt(3).note(5).note(9).rebase(6);
    expect(tracker.watermark).toBe(6);
    expect(tracker.seenAbove).toEqual([9]);
  });
});

describe("lowerBound", () => {
  it("finds where a value goes in an ascending list", () => {
    expect(lowerBound([], 3)).toBe(0);
    expect(lowerBound([1, 3, 5], 0)).toBe(0);
    expect(lowerBound([1, 3, 5], 3)).toBe(1);
    expect(lowerBound([1, 3, 5], 4)).toBe(2);
    expect(lowerBound([1, 3, 5], 6)).toBe(3);
    expect(lowerBound([{ id: 2 }, { id: 4 }], 4, (item) => item.id)).toBe(1);
  });
});
