import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { makeMessage } from "../__tests__/fakeSocket";
import type { OutgoingMessage } from "../chat/timeline";
import { MessageList } from "./MessageList";

const now = Date.parse("2026-11-28T12:00:00Z");

function renderList(overrides: Partial<Parameters<typeof MessageList>[0]> = {}) {
  const props = {
    messages: [
      makeMessage({ id: 1, body: "<img src=x onerror=alert(1)>", created_at: "2026-11-28T11:55:00Z" }),
      makeMessage({ id: 2, body: "line one\nline two https://example.com", my_vote: 1, upvotes: 3, downvotes: 5, score: -2 }),
    ],
    outbox: [] as OutgoingMessage[],
    hasMore: false,
    joined: true,
    myId: 1,
    username: "me",
    now,
    canVote: true,
    onVote: vi.fn(),
    onRetry: vi.fn(),
    loadOlder: vi.fn(() => Promise.resolve()),
    ...overrides,
  };
  render(<MessageList {...props} />);
  return props;
}

describe("MessageList", () => {
  it("renders one list item per message inside the list named Messages", () => {
    renderList();
    const list = screen.getByRole("list", { name: "Messages" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(2);
  });

  it("shows markup as literal text", () => {
    renderList();
    expect(screen.getByText("<img src=x onerror=alert(1)>")).toBeInTheDocument();
    expect(document.querySelector("img")).toBeNull();
  });

  it("keeps line breaks and makes links safe to open", () => {
    renderList();
    const link = screen.getByRole("link", { name: "https://example.com" });
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
    expect(link).toHaveAttribute("target", "_blank");
    expect(link.closest("p")?.textContent).toBe("line one\nline two https://example.com");
  });

  it("shows a relative time with the absolute time on hover", () => {
    renderList();
    const time = screen.getByText("5 min ago");
    expect(time.tagName).toBe("TIME");
    expect(time).toHaveAttribute("dateTime", "2026-11-28T11:55:00Z");
    expect(time.getAttribute("title")).toMatch(/2026/);
  });

  it("shows votes with aria-pressed and the score as a bare number", async () => {
    const user = userEvent.setup();
    const props = renderList();
    const [first, second] = screen.getAllByRole("listitem");
    const own = within(second as HTMLElement);
    expect(own.getByRole("button", { name: "Upvote" })).toHaveAttribute("aria-pressed", "true");
    expect(own.getByRole("button", { name: "Downvote" })).toHaveAttribute("aria-pressed", "false");
    expect(own.getByLabelText(/score/)).toHaveTextContent(/^-2$/);
    await user.click(within(first as HTMLElement).getByRole("button", { name: "Downvote" }));
    expect(props.onVote).toHaveBeenCalledWith(1, "downvote");
  });

  it("shows pending messages and a retry control for failed ones", async () => {
    const user = userEvent.setup();
    const props = renderList({
      outbox: [
        { clientId: "c-1", body: "on its way", createdAt: "2026-11-28T11:59:59Z", status: "pending", error: null },
        { clientId: "c-2", body: "refused", createdAt: "2026-11-28T11:59:59Z", status: "failed", error: "Too many messages" },
      ],
    });
    expect(screen.getAllByRole("listitem")).toHaveLength(4);
    expect(screen.getByText("Sending…")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: /not sent: retry/i }));
    expect(props.onRetry).toHaveBeenCalledWith("c-2");
  });

  it("loads older messages by itself while the first page does not fill the view", async () => {
    // jsdom lays nothing out, so the list never overflows its scroller.
    const props = renderList({ hasMore: true });
    expect(props.loadOlder).toHaveBeenCalledTimes(1);
    expect(await screen.findByRole("button", { name: "Load older messages" })).toBeEnabled();
  });

  it("tells the room when it follows the newest message, so the room may forget far older ones", () => {
    const onReachedBottom = vi.fn();
    const props = renderList({ onReachedBottom });
    onReachedBottom.mockClear();
    const messages = [...props.messages, makeMessage({ id: 3, seq: 3, body: "new below" })];
    cleanup();
    render(<MessageList {...props} messages={messages} onReachedBottom={onReachedBottom} />);
    expect(screen.getByText("new below")).toBeInTheDocument();
    expect(onReachedBottom).toHaveBeenCalled();
  });

  it("renders every held message, across chunks, in order", () => {
    const messages = Array.from({ length: 250 }, (_, index) => makeMessage({ id: index + 1 }));
    renderList({ messages });
    // Plain selectors: role queries over 250 rows are slow in jsdom.
    const list = screen.getByRole("list", { name: "Messages" });
    const bodies = [...list.querySelectorAll(":scope > li .message-body")].map((body) => body.textContent);
    expect(bodies).toEqual(messages.map((message) => message.body));
  });

  it("shows a message the room voted down as one line, and opens it with Show", async () => {
    const user = userEvent.setup();
    const onReveal = vi.fn();
    const messages = [makeMessage({ id: 1, body: "kept" }), makeMessage({ id: 2, body: "voted down", downvotes: 7, score: -7, collapsed: true })];
    const props = renderList({ messages, onReveal });
    const line = screen.getAllByRole("listitem")[1] as HTMLElement;
    expect(line).toHaveTextContent("Collapsed by votes (score -7) · Show");
    expect(screen.queryByText("voted down")).toBeNull();
    await user.click(within(line).getByRole("button", { name: "Show" }));
    expect(onReveal).toHaveBeenCalledWith(2);

    cleanup();
    render(<MessageList {...props} revealed={new Set([2])} />);
    const opened = screen.getAllByRole("listitem")[1] as HTMLElement;
    expect(within(opened).getByText("voted down")).toBeInTheDocument();
    expect(within(opened).getByRole("button", { name: "Downvote" })).toBeEnabled();
    expect(opened).not.toHaveTextContent("Collapsed by votes");
  });

  it("says where the room begins when there is nothing older", () => {
    renderList({ hasMore: false });
    expect(screen.getByText("This is the beginning of #general.")).toBeInTheDocument();
  });
});
