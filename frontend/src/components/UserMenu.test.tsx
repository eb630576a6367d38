import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { UserMenu } from "./UserMenu";

describe("UserMenu", () => {
  it("opens a menu whose Tokens item opens the Tokens page", async () => {
    const user = userEvent.setup();
    const onTokens = vi.fn();
    render(<UserMenu username="alice" email="alice@example.com" onTokens={onTokens} />);
    const button = screen.getByRole("button", { name: /alice/ });
    expect(button).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByRole("menu")).toBeNull();

    await user.click(button);
    expect(button).toHaveAttribute("aria-expanded", "true");
    const item = screen.getByRole("menuitem", { name: "Tokens" });
    expect(item).toHaveFocus();
    await user.click(item);
    expect(onTokens).toHaveBeenCalledOnce();
    expect(screen.queryByRole("menu")).toBeNull();
  });

  it("closes on Escape and gives the focus back", async () => {
    const user = userEvent.setup();
    render(<UserMenu username="alice" email="alice@example.com" onTokens={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: /alice/ }));
    expect(screen.getByRole("menu", { name: "User menu" })).toBeInTheDocument();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("menu")).toBeNull();
    expect(screen.getByRole("button", { name: /alice/ })).toHaveFocus();
  });
});
