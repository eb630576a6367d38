import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { makeMessage } from "../__tests__/fakeSocket";
import type { Message } from "../api/types";
import { initialTopState, type TopState } from "../chat/topFeed";
import { TopList } from "./TopList";

const now = Date.parse("2026-11-28T12:00:00Z");

function topState(messages: Message[], extra: Partial<TopState> = {}): TopState {
  return { ...initialTopState, status: "ready", messages, generation: 1, ...extra };
}

function props(state: TopState, extra: Partial<Parameters<typeof TopList>[0]> = {}) {
  return {
    state,
    myId: 1,
    now,
    canVote: true,
    onVote: vi.fn(),
    revealed: new Set<number>() as ReadonlySet<number>,
    onReveal: vi.fn(),
    onLoadMore: vi.fn(),
    onApplyUpdates: vi.fn(),
    onReload: vi.fn(),
    ...extra,
  };
}

const list = () => within(screen.getByRole("list", { name: "Top messages" }));
const bodies = () => list().getAllByRole("listitem").map((item) => item.querySelector(".message-body")?.textContent);

const ranked = [
  makeMessage({ id: 1, body: "first", upvotes: 5, score: 5 }),
  makeMessage({ id: 2, body: "second", upvotes: 3, score: 3 }),
  makeMessage({ id: 3, body: "third", upvotes: 1, score: 1 }),
  makeMessage({ id: 4, body: "fourth" }),
];

describe("TopList", () => {
  it("shows the messages in the order given, with a pill only when the ranking changed", async () => {
    const user = userEvent.setup();
    const first = props(topState(ranked));
    const { rerender } = render(<TopList {...first} />);
    expect(bodies()).toEqual(["first", "second", "third", "fourth"]);
    expect(screen.queryByRole("button", { name: /updates/ })).toBeNull();

    // News changed the numbers but not the order; the pill counts the changes.
    const changed = [ranked[0], ranked[1], ranked[2], { ...(ranked[3] as Message), upvotes: 9, score: 9 }] as Message[];
    const second = props(topState(changed, { updates: 3 }));
    rerender(<TopList {...second} />);
    expect(bodies()).toEqual(["first", "second", "third", "fourth"]);
    expect(within(list().getAllByRole("listitem")[3] as HTMLElement).getByLabelText("score")).toHaveTextContent("9");
    await user.click(screen.getByRole("button", { name: /^3 updates/ }));
    expect(second.onApplyUpdates).toHaveBeenCalledTimes(1);
  });

  it("keeps the message at the top of the view where it was when the new order comes", async () => {
    const user = userEvent.setup();
    // A stand-in for layout: every row is 100 px tall, the scroller's top edge is at 0.
    vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockImplementation(function (this: HTMLElement) {
      const scroller = document.querySelector<HTMLElement>(".top-scroller");
      const rows = scroller === null ? [] : [...scroller.querySelectorAll("[data-message-id]")];
      const index = rows.indexOf(this);
      const top = index < 0 ? 0 : index * 100 - (scroller?.scrollTop ?? 0);
      const height = index < 0 ? 250 : 100;
      return { top, bottom: top + height, left: 0, right: 300, width: 300, height, x: 0, y: top, toJSON: () => ({}) } as DOMRect;
    });
    const first = props(topState(ranked, { updates: 2 }));
    const { rerender } = render(<TopList {...first} />);
    const scroller = screen.getByRole("region", { name: "Top messages by votes" });
    scroller.scrollTop = 150; // "second" is at the top of the view, half of it above the edge
    await user.click(screen.getByRole("button", { name: /^2 updates/ }));

    const reordered = [ranked[3], ranked[0], ranked[2], ranked[1]] as Message[];
    rerender(<TopList {...props(topState(reordered, { generation: 2 }))} />);
    expect(bodies()).toEqual(["fourth", "first", "third", "second"]);
    // "second" moved from row 1 to row 3: the view moved with it.
    expect(scroller.scrollTop).toBe(350);
  });

  it("opens at the top for a new window", () => {
    const { rerender } = render(<TopList {...props(topState(ranked))} />);
    const scroller = screen.getByRole("region", { name: "Top messages by votes" });
    scroller.scrollTop = 200;
    rerender(<TopList {...props(topState(ranked.slice(0, 2), { generation: 2, window: "hour" }))} />);
    expect(scroller.scrollTop).toBe(0);
  });

  it("shows a collapsed message as one line until the reader opens it", async () => {
    const user = userEvent.setup();
    const collapsed = makeMessage({ id: 5, body: "voted down", downvotes: 7, score: -7, collapsed: true });
    const first = props(topState([ranked[0] as Message, collapsed]));
    const { rerender } = render(<TopList {...first} />);
    const line = list().getAllByRole("listitem")[1] as HTMLElement;
    expect(line).toHaveTextContent("Collapsed by votes (score -7) · Show");
    expect(within(line).queryByText("voted down")).toBeNull();
    expect(within(line).queryByRole("button", { name: "Upvote" })).toBeNull();
    await user.click(within(line).getByRole("button", { name: "Show" }));
    expect(first.onReveal).toHaveBeenCalledWith(5);

    rerender(<TopList {...props(first.state, { revealed: new Set([5]) })} />);
    const opened = list().getAllByRole("listitem")[1] as HTMLElement;
    expect(within(opened).getByText("voted down")).toBeInTheDocument();
    expect(within(opened).getByRole("button", { name: "Upvote" })).toBeEnabled();
    expect(within(opened).getByRole("button", { name: "Downvote" })).toBeEnabled();
  });

  it("loads more with the button, and tells what is going on", async () => {
    const user = userEvent.setup();
    const more = props(topState(ranked, { hasMore: true }));
    const { rerender } = render(<TopList {...more} />);
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(more.onLoadMore).toHaveBeenCalledTimes(1);

    rerender(<TopList {...props(topState(ranked, { hasMore: true, busy: "more" }))} />);
    expect(screen.getByRole("button", { name: "Loading more…" })).toBeDisabled();

    rerender(<TopList {...props({ ...initialTopState, status: "loading" })} />);
    expect(screen.getByText("Loading the top messages…")).toBeInTheDocument();

    rerender(<TopList {...props(topState([]))} />);
    expect(screen.getByText("No messages in this window yet.")).toBeInTheDocument();
  });

  it("says why the ranking could not be loaded, and tries again", async () => {
    const user = userEvent.setup();
    const failed = props({ ...initialTopState, status: "failed", error: "The top messages could not be loaded: busy" });
    render(<TopList {...failed} />);
    expect(screen.getByRole("alert")).toHaveTextContent("The top messages could not be loaded: busy");
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(failed.onReload).toHaveBeenCalledTimes(1);
  });

  it("votes as in Live, and not while disconnected", async () => {
    const user = userEvent.setup();
    const shown = props(topState([{ ...(ranked[1] as Message), my_vote: 1 }]));
    const { rerender } = render(<TopList {...shown} />);
    expect(screen.getByRole("button", { name: "Upvote" })).toHaveAttribute("aria-pressed", "true");
    await user.click(screen.getByRole("button", { name: "Downvote" }));
    expect(shown.onVote).toHaveBeenCalledWith(2, "downvote");
    rerender(<TopList {...props(shown.state, { canVote: false })} />);
    expect(screen.getByRole("button", { name: "Upvote" })).toBeDisabled();
  });
});
