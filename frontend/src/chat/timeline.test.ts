import { describe, expect, it } from "vitest";
import { makeMessage } from "../__tests__/fakeSocket";
import type { Message, VoteTotals } from "../api/types";
import { chatReducer, initialChatState, type ChatAction, type ChatState } from "./timeline";

const ME = 1;

function run(actions: ChatAction[], start: ChatState = initialChatState): ChatState {
  return actions.reduce((state, action) => chatReducer(state, action, ME), start);
}

function joinedWith(ids: number[], seq = Math.max(0, ...ids)): ChatState {
  return run([{ type: "joined", messages: ids.map((id) => makeMessage({ id })), seq, hasMore: true, replace: true }]);
}

const received = (message: Message): ChatAction => ({ type: "broadcast", messages: [message], votes: [], covers: [] });
const voted = (totals: VoteTotals): ChatAction => ({ type: "broadcast", messages: [], votes: [totals], covers: [] });
const covered = (covers: [number, number][]): ChatAction => ({ type: "broadcast", messages: [], votes: [], covers });

const ids = (state: ChatState) => state.messages.map((message) => message.id);

describe("chatReducer: the message list", () => {
  it("holds the first page in id order and takes the watermark from the join ack", () => {
    const state = run([
      {
        type: "joined",
        messages: [makeMessage({ id: 3 }), makeMessage({ id: 1 }), makeMessage({ id: 2 })],
        seq: 7,
        hasMore: true,
        replace: true,
      },
    ]);
    expect(ids(state)).toEqual([1, 2, 3]);
    expect(state.seqs.watermark).toBe(7);
    expect(state.hasMore).toBe(true);
    expect(state.joined).toBe(true);
  });

  it("keeps each message once however often it arrives", () => {
    const message = makeMessage({ id: 4, seq: 4 });
    const state = run(
      [
        received(message),
        received(message),
        { type: "joined", messages: [message], seq: 4, hasMore: false, replace: false },
        { type: "older_loaded", messages: [makeMessage({ id: 2 }), message], hasMore: false },
      ],
      joinedWith([1, 2, 3]),
    );
    expect(ids(state)).toEqual([1, 2, 3, 4]);
  });

  it("orders by id when messages arrive out of order", () => {
    const state = run(
      [
        received(makeMessage({ id: 12, seq: 12 })),
        received(makeMessage({ id: 11, seq: 11 })),
        { type: "older_loaded", messages: [makeMessage({ id: 5 }), makeMessage({ id: 6 })], hasMore: false },
      ],
      joinedWith([8, 10], 10),
    );
    expect(ids(state)).toEqual([5, 6, 8, 10, 11, 12]);
    expect(state.hasMore).toBe(false);
  });

  it("moves a message from pending to sent when its ack comes, without a duplicate from the broadcast", () => {
    const sent = makeMessage({ id: 9, seq: 9, body: "hi", client_id: "c-1", author: { id: ME, username: "me" } });
    let state = run(
      [{ type: "send_started", clientId: "c-1", body: "hi", createdAt: "2026-11-28T10:00:00Z", online: true }],
      joinedWith([1], 8),
    );
    expect(state.outbox).toEqual([expect.objectContaining({ clientId: "c-1", status: "pending" })]);
    state = run([{ type: "send_acked", clientId: "c-1", message: sent }, received(sent)], state);
    expect(state.outbox).toEqual([]);
    expect(ids(state)).toEqual([1, 9]);
    expect(state.seqs.watermark).toBe(9);
  });

  it("settles a pending message when the broadcast comes before the ack", () => {
    const sent = makeMessage({ id: 9, seq: 9, client_id: "c-1", author: { id: ME, username: "me" } });
    const state = run(
      [
        { type: "send_started", clientId: "c-1", body: "hi", createdAt: "2026-11-28T10:00:00Z", online: true },
        received(sent),
        { type: "send_acked", clientId: "c-1", message: sent },
      ],
      joinedWith([1], 8),
    );
    expect(state.outbox).toEqual([]);
    expect(ids(state)).toEqual([1, 9]);
  });

  it("does not take someone else's message with the same client_id for ours", () => {
    const theirs = makeMessage({ id: 9, client_id: "c-1", author: { id: 2, username: "bob" } });
    const state = run(
      [
        { type: "send_started", clientId: "c-1", body: "hi", createdAt: "2026-11-28T10:00:00Z", online: true },
        received(theirs),
      ],
      joinedWith([1], 8),
    );
    expect(state.outbox).toHaveLength(1);
  });

  it("marks a refused send as failed and a retry as pending again with the same client_id", () => {
    let state = run(
      [
        { type: "send_started", clientId: "c-1", body: "hi", createdAt: "2026-11-28T10:00:00Z", online: true },
        { type: "send_failed", clientId: "c-1", error: "slow down" },
      ],
      joinedWith([1]),
    );
    expect(state.outbox[0]).toMatchObject({ status: "failed", error: "slow down" });
    state = run([{ type: "send_started", clientId: "c-1", body: "hi", createdAt: "x", online: true }], state);
    expect(state.outbox).toHaveLength(1);
    expect(state.outbox[0]).toMatchObject({ clientId: "c-1", status: "pending", error: null });
  });

  it("queues a message written offline and sends it when flushed", () => {
    let state = run(
      [{ type: "send_started", clientId: "c-2", body: "later", createdAt: "2026-11-28T10:00:00Z", online: false }],
      joinedWith([1]),
    );
    expect(state.outbox[0]?.status).toBe("queued");
    state = run([{ type: "outbox_flushing", clientIds: ["c-2"] }], state);
    expect(state.outbox[0]?.status).toBe("pending");
    state = run([{ type: "send_interrupted", clientId: "c-2" }], state);
    expect(state.outbox[0]?.status).toBe("queued");
  });
});

describe("chatReducer: votes and the room timeline", () => {
  it("applies newer vote totals and keeps our own vote", () => {
    let state = joinedWith([1, 2], 2);
    state = run(
      [{ type: "vote_acked", ack: { ok: true, message_id: 2, upvotes: 1, downvotes: 0, score: 1, my_vote: 1, seq: 3, collapsed: false } }],
      state,
    );
    expect(state.messages[1]).toMatchObject({ score: 1, my_vote: 1, seq: 3 });
    state = run(
      [voted({ message_id: 2, upvotes: 2, downvotes: 1, score: 1, seq: 4, collapsed: false })],
      state,
    );
    expect(state.messages[1]).toMatchObject({ upvotes: 2, downvotes: 1, score: 1, my_vote: 1, seq: 4 });
    expect(state.seqs.watermark).toBe(4);
  });

  it("ignores a vote broadcast that is not newer than the held state", () => {
    let state = joinedWith([1], 1);
    state = run([voted({ message_id: 1, upvotes: 3, downvotes: 0, score: 3, seq: 5, collapsed: false })], state);
    state = run([voted({ message_id: 1, upvotes: 2, downvotes: 0, score: 2, seq: 4, collapsed: false })], state);
    state = run([voted({ message_id: 1, upvotes: 9, downvotes: 0, score: 9, seq: 5, collapsed: false })], state);
    expect(state.messages[0]).toMatchObject({ score: 3, seq: 5 });
  });

  it("collapses and opens a message as its vote totals say, live", () => {
    let state = joinedWith([1], 1);
    state = run([voted({ message_id: 1, upvotes: 0, downvotes: 5, score: -5, seq: 2, collapsed: true })], state);
    expect(state.messages[0]).toMatchObject({ score: -5, collapsed: true });
    // An older change does not open it again.
    state = run([voted({ message_id: 1, upvotes: 0, downvotes: 4, score: -4, seq: 1, collapsed: false })], state);
    expect(state.messages[0]?.collapsed).toBe(true);
    // A broadcast that shares its seq with our ack still settles it.
    state = run(
      [{ type: "vote_acked", ack: { ok: true, message_id: 1, upvotes: 1, downvotes: 5, score: -4, my_vote: 1, seq: 3, collapsed: true } }],
      state,
    );
    state = run([voted({ message_id: 1, upvotes: 1, downvotes: 5, score: -4, seq: 3, collapsed: false })], state);
    expect(state.messages[0]).toMatchObject({ score: -4, my_vote: 1, collapsed: false });
  });

  it("ignores a stale data broadcast and keeps the newer state", () => {
    let state = joinedWith([1], 1);
    state = run([voted({ message_id: 1, upvotes: 1, downvotes: 0, score: 1, seq: 2, collapsed: false })], state);
    state = run([received(makeMessage({ id: 1, seq: 1 }))], state);
    expect(state.messages[0]).toMatchObject({ score: 1, seq: 2 });
  });

  it("takes our own vote from a late ack but not its older totals", () => {
    let state = joinedWith([1], 1);
    state = run([voted({ message_id: 1, upvotes: 2, downvotes: 0, score: 2, seq: 3, collapsed: false })], state);
    state = run(
      [{ type: "vote_acked", ack: { ok: true, message_id: 1, upvotes: 1, downvotes: 0, score: 1, my_vote: 1, seq: 2, collapsed: false } }],
      state,
    );
    expect(state.messages[0]).toMatchObject({ score: 2, my_vote: 1, seq: 3 });
  });

  it("removes our vote when the ack says my_vote 0", () => {
    let state = run(
      [{ type: "joined", messages: [makeMessage({ id: 1, my_vote: 1, upvotes: 1, score: 1 })], seq: 1, hasMore: false, replace: true }],
    );
    state = run(
      [{ type: "vote_acked", ack: { ok: true, message_id: 1, upvotes: 0, downvotes: 0, score: 0, my_vote: 0, seq: 2, collapsed: false } }],
      state,
    );
    expect(state.messages[0]).toMatchObject({ score: 0, my_vote: 0 });
  });

  it("keeps our vote when a data broadcast (my_vote 0) brings a newer state", () => {
    let state = run(
      [{ type: "joined", messages: [makeMessage({ id: 1, my_vote: -1, downvotes: 1, score: -1 })], seq: 1, hasMore: false, replace: true }],
    );
    state = run([received(makeMessage({ id: 1, seq: 2, downvotes: 1, score: -1 }))], state);
    expect(state.messages[0]?.my_vote).toBe(-1);
  });

  it("advances the watermark only over changes without a gap", () => {
    let state = joinedWith([1], 10);
    state = run([voted({ message_id: 1, upvotes: 1, downvotes: 0, score: 1, seq: 12, collapsed: false })], state);
    expect(state.seqs.watermark).toBe(10);
    state = run([received(makeMessage({ id: 2, seq: 11 }))], state);
    expect(state.seqs.watermark).toBe(12);
    expect(state.seqs.seenAbove).toEqual([]);
  });

  it("counts the seqs a paced vote entry covers as seen", () => {
    let state = joinedWith([1], 10);
    // Changes 11 and 12 of message 1 were collapsed into the entry at 13.
    state = run([voted({ message_id: 1, upvotes: 3, downvotes: 0, score: 3, seq: 13, collapsed: false })], state);
    expect(state.seqs.watermark).toBe(10);
    state = run([covered([[11, 13]])], state);
    expect(state.seqs.watermark).toBe(13);
    expect(state.seqs.seenAbove).toEqual([]);
    expect(state.messages[0]?.upvotes).toBe(3);
  });

  it("merges a catch-up join and takes its seq as the new watermark", () => {
    let state = joinedWith([1, 2], 2);
    state = run(
      [
        {
          type: "joined",
          messages: [makeMessage({ id: 2, seq: 5, upvotes: 3, score: 3 }), makeMessage({ id: 3, seq: 6 })],
          seq: 6,
          hasMore: false,
          replace: false,
        },
      ],
      state,
    );
    expect(ids(state)).toEqual([1, 2, 3]);
    expect(state.messages[1]?.score).toBe(3);
    expect(state.seqs.watermark).toBe(6);
    expect(state.hasMore).toBe(true);
  });

  it("drops what it holds on reset but keeps the outbox", () => {
    let state = run(
      [{ type: "send_started", clientId: "c-9", body: "mine", createdAt: "2026-11-28T10:00:00Z", online: false }],
      joinedWith([1, 2, 3], 3),
    );
    state = run(
      [{ type: "joined", messages: [makeMessage({ id: 2000, seq: 5000 })], seq: 5000, hasMore: true, replace: true }],
      state,
    );
    expect(ids(state)).toEqual([2000]);
    expect(state.seqs.watermark).toBe(5000);
    expect(state.outbox.map((item) => item.clientId)).toEqual(["c-9"]);
  });

  it("keeps a broadcast that arrived before the first join ack when it is newer than the ack", () => {
    let state = run([received(makeMessage({ id: 8, seq: 8 }))]);
    expect(state.seqs.watermark).toBeNull();
    state = run([{ type: "joined", messages: [makeMessage({ id: 6, seq: 7 })], seq: 7, hasMore: false, replace: true }], state);
    expect(ids(state)).toEqual([6, 8]);
    expect(state.seqs.watermark).toBe(8);
  });
});

describe("chatReducer: a vote that overtakes its message", () => {
  it("applies totals that arrived before the message, when the message comes", () => {
    const state = run(
      [
        voted({ message_id: 3, upvotes: 1, downvotes: 0, score: 1, seq: 5, collapsed: false }),
        received(makeMessage({ id: 3, seq: 3 })),
      ],
      joinedWith([1, 2], 2),
    );
    expect(state.messages.find((m) => m.id === 3)).toMatchObject({ upvotes: 1, score: 1, seq: 5 });
    expect(state.earlyTotals).toEqual([]);
  });

  it("drops early totals that are older than the message that comes", () => {
    const state = run(
      [
        voted({ message_id: 3, upvotes: 1, downvotes: 0, score: 1, seq: 3, collapsed: false }),
        received(makeMessage({ id: 3, seq: 4, upvotes: 2, score: 2 })),
      ],
      joinedWith([1, 2], 2),
    );
    expect(state.messages.find((m) => m.id === 3)).toMatchObject({ upvotes: 2, seq: 4 });
    expect(state.earlyTotals).toEqual([]);
  });
});

describe("chatReducer: live news into a long timeline", () => {
  const long = () => joinedWith(Array.from({ length: 10_000 }, (_, index) => index + 1), 10_000);

  it("applies a whole batch in one step, as its entries one by one", () => {
    const start = joinedWith([1, 2], 2);
    const batch = {
      messages: [makeMessage({ id: 4, seq: 4 }), makeMessage({ id: 3, seq: 3 })],
      votes: [{ message_id: 1, upvotes: 2, downvotes: 0, score: 2, seq: 6, collapsed: false }],
      covers: [[5, 6]] as [number, number][],
    };
    const atOnce = run([{ type: "broadcast", ...batch }], start);
    const oneByOne = run(
      [received(batch.messages[0]!), received(batch.messages[1]!), voted(batch.votes[0]!), covered(batch.covers)],
      start,
    );
    expect(atOnce).toEqual(oneByOne);
    expect(ids(atOnce)).toEqual([1, 2, 3, 4]);
    expect(atOnce.seqs.watermark).toBe(6);
  });

  it("appends a new message and keeps every held one as it was", () => {
    const before = long();
    const after = run([received(makeMessage({ id: 10_001, seq: 10_001 }))], before);
    expect(after.messages).toHaveLength(10_001);
    expect(after.messages.slice(0, -1).every((message, index) => message === before.messages[index])).toBe(true);
    expect(after.messages[10_000]?.id).toBe(10_001);
  });

  it("replaces one message in place when news about it comes", () => {
    const before = long();
    const after = run([voted({ message_id: 5_000, upvotes: 1, downvotes: 0, score: 1, seq: 10_001, collapsed: false })], before);
    expect(after.messages[4_999]).toMatchObject({ id: 5_000, score: 1 });
    expect(after.messages[4_998]).toBe(before.messages[4_998]);
    expect(after.messages[5_000]).toBe(before.messages[5_000]);
  });

  it("returns the same state for a broadcast it already holds", () => {
    const before = long();
    expect(run([received(before.messages[20]!)], before).messages).toBe(before.messages);
  });

  it("forgets the oldest messages beyond what it keeps, and says older ones exist", () => {
    const before = long();
    const after = run([{ type: "older_forgotten", keep: 1_000 }], { ...before, hasMore: false });
    expect(after.messages).toHaveLength(1_000);
    expect(after.messages[0]?.id).toBe(9_001);
    expect(after.hasMore).toBe(true);
    expect(run([{ type: "older_forgotten", keep: 20_000 }], before)).toBe(before);
  });
});

describe("chatReducer: edits and deletes (`update`)", () => {
  it("replaces an edited message through the same broadcast path, keeping our own vote", () => {
    let state = run([{ type: "vote_acked", ack: { ok: true, message_id: 2, upvotes: 1, downvotes: 0, score: 1, my_vote: 1, seq: 3, collapsed: false } }], joinedWith([1, 2], 2));
    const edited = makeMessage({ id: 2, seq: 4, body: "fixed typo", edited_at: "2026-11-28T10:05:00Z", upvotes: 1, score: 1 });
    state = run([received(edited)], state);
    expect(state.messages[1]).toMatchObject({ body: "fixed typo", edited_at: "2026-11-28T10:05:00Z", my_vote: 1, seq: 4 });
    expect(state.seqs.watermark).toBe(4);
  });

  it("ignores an update older than the state held, so an edit cannot undo a delete", () => {
    const tombstone = makeMessage({ id: 2, seq: 6, body: "", deleted: true });
    const staleEdit = makeMessage({ id: 2, seq: 5, body: "edited before the delete", edited_at: "2026-11-28T10:05:00Z" });
    const state = run([received(tombstone), received(staleEdit)], joinedWith([1, 2], 4));
    expect(state.messages[1]).toMatchObject({ deleted: true, body: "", seq: 6 });
  });

  it("does not put in a message older than the first one held, but counts its seq", () => {
    const start = joinedWith([10, 11], 11);
    const state = run([received(makeMessage({ id: 3, seq: 12, body: "", deleted: true }))], start);
    expect(ids(state)).toEqual([10, 11]);
    expect(state.seqs.watermark).toBe(12);
  });

  it("puts an old message in when the held list reaches the start of the room", () => {
    const start = { ...joinedWith([10, 11], 11), hasMore: false };
    const state = run([received(makeMessage({ id: 3, seq: 12 }))], start);
    expect(ids(state)).toEqual([3, 10, 11]);
  });

  it("takes a catch-up join's changed messages, old ones outside the held list left out", () => {
    const start = joinedWith([10, 11], 11);
    const state = run(
      [
        {
          type: "joined",
          messages: [makeMessage({ id: 4, seq: 12, deleted: true, body: "" }), makeMessage({ id: 11, seq: 13, body: "edited", edited_at: "2026-11-28T10:05:00Z" })],
          seq: 13,
          hasMore: false,
          replace: false,
        },
      ],
      start,
    );
    expect(ids(state)).toEqual([10, 11]);
    expect(state.messages[1]?.body).toBe("edited");
    expect(state.seqs.watermark).toBe(13);
  });

  it("applies the ack of our own edit or delete at once, with the reader's own vote", () => {
    const state = run(
      [{ type: "message_acked", message: makeMessage({ id: 2, seq: 5, body: "", deleted: true, author: { id: ME, username: "me" }, my_vote: -1 }) }],
      joinedWith([1, 2], 4),
    );
    expect(state.messages[1]).toMatchObject({ deleted: true, my_vote: -1, seq: 5 });
    expect(state.seqs.watermark).toBe(5);
  });
});
