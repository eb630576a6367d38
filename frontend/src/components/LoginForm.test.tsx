import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { LoginForm } from "./LoginForm";

async function submitWith(error: unknown) {
  const user = userEvent.setup();
  const onSubmit = vi.fn(() => Promise.reject(error));
  render(<LoginForm onSubmit={onSubmit} />);
  await user.type(screen.getByRole("textbox", { name: "Email" }), "alice@example.com");
  await user.type(screen.getByLabelText("Password"), "wrong password");
  await user.click(screen.getByRole("button", { name: "Log in" }));
  return onSubmit;
}

describe("LoginForm", () => {
  it("shows one message for bad credentials, naming no field", async () => {
    const onSubmit = await submitWith(new ApiError(401, { code: "bad_credentials", message: "bad credentials" }));
    expect(onSubmit).toHaveBeenCalledWith("alice@example.com", "wrong password");
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    expect(screen.getByRole("textbox", { name: "Email" })).not.toHaveAttribute("aria-invalid");
  });

  it("says to wait when rate limited", async () => {
    await submitWith(new ApiError(429, { code: "rate_limited", message: "slow down" }, 60));
    expect(await screen.findByRole("alert")).toHaveTextContent("Please wait 60 seconds");
  });

  it("says so when the server cannot be reached", async () => {
    await submitWith(new ApiError(0, { code: "network", message: "offline" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/Cannot reach the server/);
  });

  it("asks for both fields before calling the server", async () => {
    const user = userEvent.setup();
    const onSubmit = vi.fn(() => Promise.resolve());
    render(<LoginForm onSubmit={onSubmit} />);
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole("alert")).toHaveTextContent("Enter your email and password.");
  });
});
