import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Composer } from "./Composer";

describe("Composer", () => {
  it("sends on Enter and clears the box", async () => {
    const user = userEvent.setup();
    const onSend = vi.fn();
    render(<Composer onSend={onSend} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await user.type(box, "hello{Enter}");
    expect(onSend).toHaveBeenCalledWith("hello");
    expect(box).toHaveValue("");
  });

  it("makes a new line on Shift+Enter", async () => {
    const user = userEvent.setup();
    const onSend = vi.fn();
    render(<Composer onSend={onSend} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await user.type(box, "one{Shift>}{Enter}{/Shift}two");
    expect(onSend).not.toHaveBeenCalled();
    expect(box).toHaveValue("one\ntwo");
    await user.click(screen.getByRole("button", { name: "Send" }));
    expect(onSend).toHaveBeenCalledWith("one\ntwo");
  });

  it("does not send blank messages", async () => {
    const user = userEvent.setup();
    const onSend = vi.fn();
    render(<Composer onSend={onSend} />);
    await user.type(screen.getByRole("textbox", { name: "Message" }), "   {Enter}");
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
  });

  it("is disabled while the reader is muted, and says until when and why", async () => {
    const user = userEvent.setup();
    const onSend = vi.fn();
    const now = Date.parse("2026-11-28T12:00:00Z");
    const until = "2026-11-28T12:30:00Z";
    const { rerender } = render(<Composer onSend={onSend} room="lobby" now={now} muted={{ until, reason: "flooding" }} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    expect(box).toBeDisabled();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    const time = new Date(until).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    expect(box).toHaveAccessibleDescription(
      `You are muted in #lobby until ${time}: you can read and vote, but not send. Reason: flooding`,
    );

    rerender(<Composer onSend={onSend} room="lobby" now={now} muted={null} />);
    expect(box).toBeEnabled();
    await user.type(box, "back{Enter}");
    expect(onSend).toHaveBeenCalledWith("back");
  });

  it("says 'for now' when the end of the mute is not known", () => {
    render(<Composer onSend={vi.fn()} muted={{ until: null, reason: "" }} />);
    expect(screen.getByRole("status")).toHaveTextContent("You are muted in #general for now: you can read and vote, but not send.");
  });
});
