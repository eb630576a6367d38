import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { UserSuggestion } from "../api/mentions";
import { Composer, mentionTrigger } from "./Composer";

const USERS: UserSuggestion[] = [
  { id: 2, username: "alina" },
  { id: 3, username: "Alfred" },
  { id: 4, username: "al_x" },
];

function setup() {
  const user = userEvent.setup();
  const onSend = vi.fn();
  const suggestUsers = vi.fn(async (prefix: string) => USERS.filter((found) => found.username.toLowerCase().startsWith(prefix.toLowerCase())));
  render(<Composer onSend={onSend} suggestUsers={suggestUsers} />);
  const box = screen.getByRole("textbox", { name: "Message" });
  return { user, onSend, suggestUsers, box };
}

describe("mentionTrigger", () => {
  it("finds the @name before the caret, only at the start of a word", () => {
    expect(mentionTrigger("hi @al", 6)).toEqual({ start: 3, prefix: "al" });
    expect(mentionTrigger("@b", 2)).toEqual({ start: 0, prefix: "b" });
    expect(mentionTrigger("mail a@b", 8)).toBeNull();
    expect(mentionTrigger("hi @", 4)).toEqual({ start: 3, prefix: "" });
    expect(mentionTrigger("(@bo", 4)).toEqual({ start: 1, prefix: "bo" });
    expect(mentionTrigger("hi @al there", 12)).toBeNull();
  });
});

describe("Composer: @ suggestions", () => {
  it("suggests usernames for what follows @, with the listbox tied to the text box", async () => {
    const { user, box, suggestUsers } = setup();
    await user.type(box, "hi @al");
    const listbox = await screen.findByRole("listbox", { name: "Mention suggestions" });
    expect(suggestUsers).toHaveBeenLastCalledWith("al");
    const options = within(listbox).getAllByRole("option");
    expect(options.map((option) => option.textContent)).toEqual(["@alina", "@Alfred", "@al_x"]);
    expect(options[0]).toHaveAttribute("aria-selected", "true");
    expect(box).toHaveAttribute("aria-controls", listbox.id);
    expect(box).toHaveAttribute("aria-activedescendant", options[0]?.id);
  });

  it("suggests from the @ on, before any letter", async () => {
    const { user, box, suggestUsers } = setup();
    await user.type(box, "hi @");
    expect(await screen.findAllByRole("option")).toHaveLength(3);
    expect(suggestUsers).toHaveBeenLastCalledWith("");
  });

  it("moves with the arrows and accepts with Enter without sending", async () => {
    const { user, box, onSend } = setup();
    await user.type(box, "hi @al");
    await screen.findByRole("listbox");
    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowUp}");
    expect(screen.getByRole("option", { name: "@Alfred" })).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{Enter}");
    expect(box).toHaveValue("hi @Alfred ");
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.queryByRole("listbox")).toBeNull();
  });

  it("accepts with Tab, and Enter sends once the list is closed", async () => {
    const { user, box, onSend } = setup();
    await user.type(box, "@ali");
    await screen.findByRole("listbox");
    await user.keyboard("{Tab}");
    expect(box).toHaveValue("@alina ");
    expect(box).toHaveFocus();
    await user.type(box, "yes{Enter}");
    expect(onSend).toHaveBeenCalledWith("@alina yes");
  });

  it("closes on Escape and keeps the text", async () => {
    const { user, box, onSend } = setup();
    await user.type(box, "hey @al");
    await screen.findByRole("listbox");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(box).toHaveValue("hey @al");
    await user.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledWith("hey @al");
  });

  it("picks a name with the mouse", async () => {
    const { user, box } = setup();
    await user.type(box, "@al");
    await user.click(await screen.findByRole("option", { name: "@al_x" }));
    await waitFor(() => expect(box).toHaveValue("@al_x "));
  });
});
