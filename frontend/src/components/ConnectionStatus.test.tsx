import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ConnectionStatus } from "./ConnectionStatus";

describe("ConnectionStatus", () => {
  it.each([
    ["connecting", "Connecting…"],
    ["connected", "Connected"],
    ["reconnecting", "Reconnecting…"],
    ["offline", "Offline"],
  ] as const)("says %s as %j in a status region", (state, label) => {
    render(<ConnectionStatus state={state} waiting={0} />);
    expect(screen.getByRole("status")).toHaveTextContent(new RegExp(`^${label}$`));
    expect(screen.getByRole("status")).toHaveClass(`connection-${state}`);
  });

  it("counts the messages waiting while not connected", () => {
    const { rerender } = render(<ConnectionStatus state="reconnecting" waiting={1} />);
    expect(screen.getByRole("status")).toHaveTextContent("Reconnecting… · 1 message waiting");
    rerender(<ConnectionStatus state="offline" waiting={3} />);
    expect(screen.getByRole("status")).toHaveTextContent("Offline · 3 messages waiting");
  });

  it("keeps the words in the status when narrow screens show only the dot", () => {
    render(<ConnectionStatus state="connected" waiting={0} />);
    const status = screen.getByRole("status");
    expect(status.querySelector(".connection-label")).toHaveTextContent(/^Connected$/);
    expect(status).toHaveAttribute("title", "Connected");
  });

  it("does not count pending messages once connected", () => {
    render(<ConnectionStatus state="connected" waiting={2} />);
    expect(screen.getByRole("status")).toHaveTextContent(/^Connected$/);
  });
});
