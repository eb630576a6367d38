import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { stubFetch } from "../__tests__/fakeFetch";
import { makeMessage } from "../__tests__/fakeSocket";
import type { Message } from "../api/types";
import { EDIT_WINDOW_MS } from "../chat/permissions";
import type { Outcome } from "../chat/roomSession";
import { MessageItem, type MessageActions } from "./MessageItem";

afterEach(() => {
  vi.unstubAllGlobals();
});

const ME = { id: 1, username: "me" };
const SENT = "2026-11-28T12:00:00Z";
const SOON = Date.parse(SENT) + 60_000;
const ok: Outcome = { ok: true };

function makeActions(overrides: Partial<MessageActions> = {}): MessageActions {
  return {
    room: "general",
    moderator: false,
    edit: vi.fn(async () => ok),
    remove: vi.fn(async () => ok),
    mute: vi.fn(async () => ok),
    ...overrides,
  };
}

function renderItem(message: Message, { now = SOON, actions = makeActions() }: { now?: number; actions?: MessageActions } = {}) {
  render(
    <ul>
      <MessageItem message={message} mine={message.author.id === ME.id} now={now} canVote onVote={vi.fn()} actions={actions} />
    </ul>,
  );
  return { actions };
}

const own = (overrides: Partial<Message> = {}) => makeMessage({ id: 7, author: ME, created_at: SENT, body: "helo", ...overrides });
const theirs = (overrides: Partial<Message> = {}) => makeMessage({ id: 8, created_at: SENT, body: "buy cheap pills", ...overrides });

describe("MessageItem: editing our own message", () => {
  it("offers Edit and Delete on our own message while the window is open, not on others'", () => {
    renderItem(own());
    expect(screen.getByRole("button", { name: "Edit" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Delete" })).toBeInTheDocument();
  });

  it("offers no Edit once the window is over, but still Delete", () => {
    renderItem(own(), { now: Date.parse(SENT) + EDIT_WINDOW_MS });
    expect(screen.queryByRole("button", { name: "Edit" })).toBeNull();
    expect(screen.getByRole("button", { name: "Delete" })).toBeInTheDocument();
  });

  it("offers nothing but votes on someone else's message to a member", () => {
    renderItem(theirs());
    expect(screen.queryByRole("button", { name: "Edit" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
    expect(screen.queryByRole("button", { name: /Moderate/ })).toBeNull();
  });

  it("turns the message into a text box; Enter saves the change", async () => {
    const user = userEvent.setup();
    const { actions } = renderItem(own());
    await user.click(screen.getByRole("button", { name: "Edit" }));
    const box = screen.getByRole("textbox", { name: "Edit message" });
    expect(box).toHaveValue("helo");
    expect(box).toHaveFocus();
    await user.type(box, "{Backspace}{Backspace}llo{Enter}");
    expect(actions.edit).toHaveBeenCalledWith(7, "hello");
    await waitFor(() => expect(screen.queryByRole("textbox", { name: "Edit message" })).toBeNull());
  });

  it("saves with the Save button, and Shift+Enter makes a new line", async () => {
    const user = userEvent.setup();
    const { actions } = renderItem(own());
    await user.click(screen.getByRole("button", { name: "Edit" }));
    await user.type(screen.getByRole("textbox", { name: "Edit message" }), "{Shift>}{Enter}{/Shift}world");
    expect(actions.edit).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(actions.edit).toHaveBeenCalledWith(7, "helo\nworld");
  });

  it("cancels with Escape or Cancel, sending nothing, and goes back to the Edit button", async () => {
    const user = userEvent.setup();
    const { actions } = renderItem(own());
    await user.click(screen.getByRole("button", { name: "Edit" }));
    await user.type(screen.getByRole("textbox", { name: "Edit message" }), " more{Escape}");
    expect(screen.queryByRole("textbox", { name: "Edit message" })).toBeNull();
    expect(screen.getByText("helo")).toBeInTheDocument();
    await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(screen.getByRole("button", { name: "Edit" })).toHaveFocus();

    await user.click(screen.getByRole("button", { name: "Edit" }));
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("textbox", { name: "Edit message" })).toBeNull();
    expect(actions.edit).not.toHaveBeenCalled();
  });

  it("keeps the box open and shows the server's refusal", async () => {
    const user = userEvent.setup();
    const edit = vi.fn(async (): Promise<Outcome> => ({ ok: false, error: "The change was not saved: the edit window is over" }));
    renderItem(own(), { actions: makeActions({ edit }) });
    await user.click(screen.getByRole("button", { name: "Edit" }));
    await user.type(screen.getByRole("textbox", { name: "Edit message" }), "!{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("The change was not saved: the edit window is over");
    expect(screen.getByRole("textbox", { name: "Edit message" })).toHaveValue("helo!");
  });

  it("does not save an empty message", async () => {
    const user = userEvent.setup();
    const { actions } = renderItem(own());
    await user.click(screen.getByRole("button", { name: "Edit" }));
    await user.clear(screen.getByRole("textbox", { name: "Edit message" }));
    await user.keyboard("{Enter}");
    expect(actions.edit).not.toHaveBeenCalled();
    expect(screen.getByRole("alert")).toHaveTextContent("A message cannot be empty");
  });
});

describe("MessageItem: edited and deleted messages", () => {
  it("marks an edited message, and 'edited' opens its versions", async () => {
    const user = userEvent.setup();
    stubFetch({
      "GET /api/messages/8/history": {
        status: 200,
        body: {
          versions: [
            { body: "frist", edited_at: null },
            { body: "first", edited_at: "2026-11-28T12:01:00Z" },
          ],
        },
      },
    });
    renderItem(theirs({ body: "first", edited_at: "2026-11-28T12:01:00Z" }));
    await user.click(screen.getByRole("button", { name: "edited" }));
    const dialog = screen.getByRole("dialog", { name: "Versions of the message by bob" });
    const versions = await within(dialog).findAllByRole("listitem");
    expect(versions.map((item) => item.querySelector(".message-body")?.textContent)).toEqual(["frist", "first"]);
    expect(versions[0]).toHaveTextContent("Original");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("says so when the versions cannot be loaded", async () => {
    const user = userEvent.setup();
    stubFetch({ "GET /api/messages/8/history": { status: 404, body: { error: { code: "not_found", message: "no such message" } } } });
    renderItem(theirs({ edited_at: "2026-11-28T12:01:00Z" }));
    await user.click(screen.getByRole("button", { name: "edited" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This message is gone.");
  });

  it("shows a deleted message as a tombstone with no body, votes or actions", () => {
    renderItem(own({ body: "", deleted: true, upvotes: 3, score: 3 }));
    const item = screen.getByRole("listitem");
    expect(item).toHaveTextContent("message deleted");
    expect(within(item).queryByRole("button", { name: "Upvote" })).toBeNull();
    expect(within(item).queryByLabelText("score")).toBeNull();
    expect(within(item).queryByRole("button", { name: "Edit" })).toBeNull();
    expect(within(item).queryByRole("button", { name: "Delete" })).toBeNull();
  });
});

describe("MessageItem: deleting", () => {
  it("asks before deleting our own message, without a reason", async () => {
    const user = userEvent.setup();
    const { actions } = renderItem(own());
    await user.click(screen.getByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("dialog", { name: "Delete your message?" });
    expect(within(dialog).queryByRole("textbox", { name: "Reason" })).toBeNull();
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(actions.remove).toHaveBeenCalledWith(7, undefined);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("lets a moderator delete anyone's message, asking for a reason of 1 to 200 characters", async () => {
    const user = userEvent.setup();
    const { actions } = renderItem(theirs(), { actions: makeActions({ moderator: true }) });
    await user.click(screen.getByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("dialog", { name: "Delete the message by bob" });
    const reason = within(dialog).getByRole("textbox", { name: "Reason" });
    expect(reason).toHaveFocus();

    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(reason).toHaveAccessibleDescription("Give a reason.");
    await user.type(reason, "x".repeat(201));
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(reason).toHaveAccessibleDescription("At most 200 characters.");
    expect(actions.remove).not.toHaveBeenCalled();

    await user.clear(reason);
    await user.type(reason, "  spam  ");
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(actions.remove).toHaveBeenCalledWith(8, "spam");
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("keeps the dialog open with the server's refusal", async () => {
    const user = userEvent.setup();
    const remove = vi.fn(async (): Promise<Outcome> => ({ ok: false, error: "The message was not deleted: forbidden" }));
    renderItem(theirs(), { actions: makeActions({ moderator: true, remove }) });
    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.type(screen.getByRole("textbox", { name: "Reason" }), "spam");
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The message was not deleted: forbidden");
    expect(screen.getByRole("dialog")).toBeInTheDocument();
  });

  it("closes the dialog on Cancel and gives focus back to Delete", async () => {
    const user = userEvent.setup();
    const { actions } = renderItem(own());
    const button = screen.getByRole("button", { name: "Delete" });
    await user.click(button);
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(button).toHaveFocus();
    expect(actions.remove).not.toHaveBeenCalled();
  });
});

describe("MessageItem: muting, for moderators", () => {
  it("has a menu per author with Mute, which asks for minutes and a reason", async () => {
    const user = userEvent.setup();
    const { actions } = renderItem(theirs(), { actions: makeActions({ moderator: true }) });
    const menuButton = screen.getByRole("button", { name: "Moderate bob" });
    expect(menuButton).toHaveAttribute("aria-expanded", "false");
    await user.click(menuButton);
    expect(menuButton).toHaveAttribute("aria-expanded", "true");
    await user.click(screen.getByRole("menuitem", { name: "Mute" }));

    const dialog = screen.getByRole("dialog", { name: "Mute bob in #general" });
    const minutes = within(dialog).getByRole("spinbutton", { name: "Minutes" });
    await user.clear(minutes);
    await user.type(minutes, "0");
    await user.click(within(dialog).getByRole("button", { name: "Mute" }));
    expect(minutes).toHaveAccessibleDescription("From 1 to 43,200 minutes.");
    expect(within(dialog).getByRole("textbox", { name: "Reason" })).toHaveAccessibleDescription("Give a reason.");
    expect(actions.mute).not.toHaveBeenCalled();

    await user.clear(minutes);
    await user.type(minutes, "90");
    await user.type(within(dialog).getByRole("textbox", { name: "Reason" }), "flooding");
    await user.click(within(dialog).getByRole("button", { name: "Mute" }));
    expect(actions.mute).toHaveBeenCalledWith("bob", 90, "flooding");
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("offers no menu on a moderator's own messages", () => {
    renderItem(own(), { actions: makeActions({ moderator: true }) });
    expect(screen.queryByRole("button", { name: /Moderate/ })).toBeNull();
  });

  it("closes the menu on Escape", async () => {
    const user = userEvent.setup();
    renderItem(theirs(), { actions: makeActions({ moderator: true }) });
    await user.click(screen.getByRole("button", { name: "Moderate bob" }));
    expect(screen.getByRole("menuitem", { name: "Mute" })).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("menu")).toBeNull();
    expect(screen.getByRole("button", { name: "Moderate bob" })).toHaveFocus();
  });
});
