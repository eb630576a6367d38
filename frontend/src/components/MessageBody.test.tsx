import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { MessageBody } from "./MessageBody";

function body(text: string, mentions: string[] = [], me: string | null = null): HTMLElement {
  const { container } = render(<MessageBody body={text} mentions={mentions} me={me} />);
  return container.querySelector(".message-body") as HTMLElement;
}

describe("MessageBody", () => {
  it("renders bold, italic, strikethrough and inline code", () => {
    const shown = body("**bold** *it* ~~gone~~ `x < y`");
    expect(shown.querySelector("strong")).toHaveTextContent("bold");
    expect(shown.querySelector("em")).toHaveTextContent("it");
    expect(shown.querySelector("s")).toHaveTextContent("gone");
    expect(shown.querySelector("code")).toHaveTextContent("x < y");
  });

  it("keeps the line breaks of a fenced code block", () => {
    const shown = body("```\nline one\n  line two\n```");
    const code = shown.querySelector("pre > code");
    expect(code?.textContent).toBe("line one\n  line two\n");
  });

  it("keeps line breaks in plain text", () => {
    expect(body("hello\nworld").textContent).toBe("hello\nworld");
  });

  it("shows raw HTML as text and runs nothing", () => {
    const shown = body("<img src=x onerror=alert(1)>");
    expect(shown.querySelector("img")).toBeNull();
    expect(shown.textContent).toBe("<img src=x onerror=alert(1)>");
  });

  it("never makes a javascript: link", () => {
    const shown = body("[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](data:text/html,hi)");
    expect(shown.querySelector("a")).toBeNull();
    expect(shown.textContent).toContain("[x](javascript:alert(1))");
  });

  it("renders image syntax as a link to the address, never an image", () => {
    const shown = body("![a cat](https://example.com/cat.png)");
    expect(shown.querySelector("img")).toBeNull();
    const link = shown.querySelector("a");
    expect(link).toHaveAttribute("href", "https://example.com/cat.png");
    expect(link).toHaveTextContent("a cat");
  });

  it("links http, https and mailto, opening safely in a new tab", () => {
    const shown = body("[docs](https://example.com/a) and [mail](mailto:a@example.com)");
    const links = shown.querySelectorAll("a");
    expect(links).toHaveLength(2);
    for (const link of links) {
      expect(link).toHaveAttribute("target", "_blank");
      expect(link).toHaveAttribute("rel", "noopener noreferrer");
    }
    expect(links[1]).toHaveAttribute("href", "mailto:a@example.com");
  });

  it("still turns bare addresses into links, leaving trailing punctuation outside", () => {
    const shown = body("see https://example.com/a?b=1. and http://x.org");
    const links = shown.querySelectorAll("a");
    expect(Array.from(links, (link) => link.textContent)).toEqual(["https://example.com/a?b=1", "http://x.org"]);
    expect(shown.textContent).toBe("see https://example.com/a?b=1. and http://x.org");
  });

  it("does not link bare words that only look like addresses or other schemes", () => {
    const shown = body("example.com javascript:alert(1) ftp://x.org");
    expect(shown.querySelector("a")).toBeNull();
  });

  it("renders quotes and lists, and leaves a leading # as text", () => {
    const shown = body("> quoted\n\n- one\n- two\n\n# not a heading");
    expect(shown.querySelector("blockquote")).toHaveTextContent("quoted");
    expect(shown.querySelectorAll("ul > li")).toHaveLength(2);
    expect(shown.querySelector("h1")).toBeNull();
    expect(shown.textContent).toContain("# not a heading");
  });

  it("numbers ordered lists from where the writer started", () => {
    expect(body("1. one\n2. two").querySelector("ol")).not.toHaveAttribute("start");
    expect(body("3. three\n4. four").querySelector("ol")).toHaveAttribute("start", "3");
  });

  it("highlights only the names the server listed as mentioned", () => {
    const shown = body("hi @Bob and @carol and @dave", ["bob", "carol"], "alice");
    const mentions = shown.querySelectorAll(".mention");
    expect(Array.from(mentions, (mention) => mention.textContent)).toEqual(["@Bob", "@carol"]);
    expect(shown.querySelector(".mention-me")).toBeNull();
  });

  it("shows the reader's own mention strongest, and says so without colour", () => {
    const shown = body("@alice look, and @bob", ["alice", "bob"], "Alice");
    const mine = shown.querySelector(".mention-me");
    expect(mine).toHaveTextContent("@alice (you)");
    expect(mine?.querySelector(".visually-hidden")).toHaveTextContent("(you)");
    expect(shown.querySelectorAll(".mention:not(.mention-me)")).toHaveLength(1);
  });

  it("reads mentions where the server does: after punctuation, not after a username character", () => {
    const shown = body("(@alice) and x@alice and hi.@alice", ["alice"], "alice");
    expect(shown.querySelectorAll(".mention")).toHaveLength(2);
  });

  it("does not highlight names inside addresses or code", () => {
    const shown = body("mail bob@alice.com, see https://x.org/@alice and `@alice`", ["alice"], "alice");
    expect(shown.querySelector(".mention")).toBeNull();
  });
});
