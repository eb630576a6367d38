import { describe, expect, it } from "vitest";
import { linkify } from "./linkify";

describe("linkify", () => {
  it("keeps plain text as one text part", () => {
    expect(linkify("hello\nworld")).toEqual([{ kind: "text", text: "hello\nworld" }]);
  });

  it("turns http and https addresses into links and leaves trailing punctuation outside", () => {
    expect(linkify("see https://example.com/a?b=1. and http://x.org")).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", text: "https://example.com/a?b=1", href: "https://example.com/a?b=1" },
      { kind: "text", text: ". and " },
      { kind: "link", text: "http://x.org", href: "http://x.org/" },
    ]);
  });

  it("keeps a parenthesis that belongs to the link", () => {
    const parts = linkify("(https://en.wikipedia.org/wiki/Foo_(bar))");
    expect(parts[1]).toMatchObject({ kind: "link", text: "https://en.wikipedia.org/wiki/Foo_(bar)" });
  });

  it("never links other schemes", () => {
    expect(linkify("javascript:alert(1) data:text/html,x")).toEqual([
      { kind: "text", text: "javascript:alert(1) data:text/html,x" },
    ]);
  });

  it("does not cut a link at markup characters into something else", () => {
    const parts = linkify('https://example.com/"onmouseover="x');
    expect(parts[0]).toMatchObject({ kind: "link", text: "https://example.com/" });
    expect(parts[1]).toEqual({ kind: "text", text: '"onmouseover="x' });
  });
});
