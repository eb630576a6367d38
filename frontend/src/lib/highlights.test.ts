import { describe, expect, it } from "vitest";
import { codePointRangesToUtf16, splitHighlights } from "./highlights";

describe("search highlights", () => {
  it("maps code-point offsets to UTF-16 indices past an emoji", () => {
    const body = "🎉 party time";
    // "party" is code points 2..7; in UTF-16 the emoji takes two units.
    expect(codePointRangesToUtf16(body, [[2, 7]])).toEqual([[3, 8]]);
    expect(splitHighlights(body, [[2, 7]])).toEqual([
      { text: "🎉 ", marked: false },
      { text: "party", marked: true },
      { text: " time", marked: false },
    ]);
  });

  it("keeps plain ASCII offsets as they are", () => {
    expect(splitHighlights("find the needle", [[9, 15]]).filter((part) => part.marked)).toEqual([{ text: "needle", marked: true }]);
  });

  it("handles several emoji and a match that is itself an emoji", () => {
    const body = "a👍b👍c";
    expect(splitHighlights(body, [[3, 4]])).toEqual([
      { text: "a👍b", marked: false },
      { text: "👍", marked: true },
      { text: "c", marked: false },
    ]);
  });

  it("sorts, merges overlapping ranges and clamps ranges past the end", () => {
    expect(codePointRangesToUtf16("abcdef", [[4, 99], [0, 2], [1, 3]])).toEqual([[0, 3], [4, 6]]);
    expect(codePointRangesToUtf16("abc", [[5, 9], [2, 2]])).toEqual([]);
  });

  it("gives the whole body unmarked without ranges", () => {
    expect(splitHighlights("plain", [])).toEqual([{ text: "plain", marked: false }]);
  });
});
