import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { SignupForm } from "./SignupForm";

function setup(onSubmit = vi.fn(() => Promise.resolve())) {
  const onShowLogin = vi.fn();
  const user = userEvent.setup();
  render(<SignupForm onSubmit={onSubmit} onShowLogin={onShowLogin} />);
  const email = screen.getByRole("textbox", { name: "Email" });
  const username = screen.getByRole("textbox", { name: "Username" });
  const password = screen.getByLabelText("Password", { exact: true });
  const confirm = screen.getByLabelText("Confirm password");
  return { user, onSubmit, onShowLogin, email, username, password, confirm };
}

async function fillValid(ctx: ReturnType<typeof setup>) {
  await ctx.user.type(ctx.email, "alice@example.com");
  await ctx.user.type(ctx.username, "alice");
  await ctx.user.type(ctx.password, "correct horse battery");
  await ctx.user.type(ctx.confirm, "correct horse battery");
}

describe("SignupForm", () => {
  it("shows an email problem when the person leaves the field, and clears it as they fix it", async () => {
    const ctx = setup();
    await ctx.user.type(ctx.email, "alice@");
    expect(screen.queryByText(/email address like/)).not.toBeInTheDocument();
    await ctx.user.tab();
    expect(ctx.email).toHaveAccessibleDescription(/email address like/);
    expect(ctx.email).toHaveAttribute("aria-invalid", "true");
    await ctx.user.type(ctx.email, "example.com");
    expect(ctx.email).not.toHaveAttribute("aria-invalid");
  });

  it("checks the password length once the field was left, then live as the person types", async () => {
    const ctx = setup();
    await ctx.user.type(ctx.password, "short");
    await ctx.user.tab();
    expect(ctx.password).toHaveAccessibleDescription(/at least 10 characters \(5 more\)/i);
    await ctx.user.type(ctx.password, "ish pass");
    expect(ctx.password).not.toHaveAttribute("aria-invalid");
  });

  it("says the confirmation does not match while the person types it", async () => {
    const ctx = setup();
    await ctx.user.type(ctx.password, "correct horse battery");
    await ctx.user.type(ctx.confirm, "correct");
    expect(ctx.confirm).toHaveAccessibleDescription("The passwords do not match.");
    await ctx.user.type(ctx.confirm, " horse battery");
    expect(ctx.confirm).not.toHaveAttribute("aria-invalid");
  });

  it("does not submit invalid input and focuses the first problem", async () => {
    const ctx = setup();
    await ctx.user.type(ctx.username, "al");
    await ctx.user.click(screen.getByRole("button", { name: "Sign up" }));
    expect(ctx.onSubmit).not.toHaveBeenCalled();
    expect(ctx.email).toHaveFocus();
    expect(ctx.username).toHaveAttribute("aria-invalid", "true");
  });

  it("submits valid input without the confirmation", async () => {
    const ctx = setup();
    await fillValid(ctx);
    await ctx.user.click(screen.getByRole("button", { name: "Sign up" }));
    expect(ctx.onSubmit).toHaveBeenCalledWith({ email: "alice@example.com", username: "alice", password: "correct horse battery" });
  });

  it("shows a taken email next to the email field and offers the log-in page", async () => {
    const onSubmit = vi.fn(() =>
      Promise.reject(new ApiError(409, { code: "taken", message: "email already registered", field: "email" })),
    );
    const ctx = setup(onSubmit);
    await fillValid(ctx);
    await ctx.user.click(screen.getByRole("button", { name: "Sign up" }));
    expect(ctx.email).toHaveAccessibleDescription(/Email already registered/);
    await ctx.user.click(screen.getByRole("button", { name: "Go to the log-in page" }));
    expect(ctx.onShowLogin).toHaveBeenCalledWith("alice@example.com");
  });

  it("shows a taken username next to the username field", async () => {
    const onSubmit = vi.fn(() =>
      Promise.reject(new ApiError(409, { code: "taken", message: "username already taken", field: "username" })),
    );
    const ctx = setup(onSubmit);
    await fillValid(ctx);
    await ctx.user.click(screen.getByRole("button", { name: "Sign up" }));
    expect(ctx.username).toHaveAccessibleDescription(/Username already taken/);
    expect(ctx.email).not.toHaveAttribute("aria-invalid");
  });

  it("puts a server rule (a common password) next to its field", async () => {
    const onSubmit = vi.fn(() =>
      Promise.reject(new ApiError(400, { code: "invalid", message: "password: too common", field: "password" })),
    );
    const ctx = setup(onSubmit);
    await fillValid(ctx);
    await ctx.user.click(screen.getByRole("button", { name: "Sign up" }));
    expect(ctx.password).toHaveAccessibleDescription(/too common/);
  });
});
