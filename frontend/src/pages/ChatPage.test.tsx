import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ALICE, stubFetch } from "../__tests__/fakeFetch";
import { renderChatPage } from "../__tests__/renderChatPage";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";

afterEach(() => {
  vi.unstubAllGlobals();
});

function renderPage() {
  const server = stubFetch({ "GET /api/me": { status: 200, body: { user: ALICE } }, "POST /api/logout": { status: 204 } });
  const socket = new FakeSocket();
  renderChatPage(socket, ALICE);
  return { socket, ...server };
}

/** The connection line (each score is an <output>, which is a status too). */
function connectionStatus(): HTMLElement {
  const found = screen.getAllByRole("status").find((element) => element.classList.contains("connection"));
  if (found === undefined) throw new Error("no connection status");
  return found;
}

function joined(socket: FakeSocket) {
  act(() => socket.serverAccepts());
  act(() => {
    socket.answer("join", {
      ok: true,
      room: { slug: "general", name: "General" },
      messages: [makeMessage({ id: 1, body: "hello from bob" })],
      has_more: false,
      seq: 1,
    });
  });
}

describe("ChatPage", () => {
  it("connects, shows the room's history and says it is connected", () => {
    const { socket } = renderPage();
    expect(connectionStatus()).toHaveTextContent("Connecting…");
    joined(socket);
    expect(connectionStatus()).toHaveTextContent("Connected");
    expect(screen.getByRole("heading", { name: "general" })).toBeInTheDocument();
    expect(within(screen.getByRole("list", { name: "Messages" })).getByText("hello from bob")).toBeInTheDocument();
  });

  it("sends what is typed, and shows it as sending until the ack", async () => {
    const user = userEvent.setup();
    const { socket } = renderPage();
    joined(socket);
    await user.type(screen.getByRole("textbox", { name: "Message" }), "hi bob{Enter}");
    expect(socket.pending("data")[0]?.payload).toMatchObject({ room: "general", body: "hi bob" });
    expect(screen.getByText("Sending…")).toBeInTheDocument();
  });

  it("disables votes while not connected and counts the messages waiting", async () => {
    const user = userEvent.setup();
    const { socket } = renderPage();
    joined(socket);
    act(() => socket.serverDrops());
    expect(screen.getByRole("button", { name: "Upvote" })).toBeDisabled();
    await user.type(screen.getByRole("textbox", { name: "Message" }), "later{Enter}");
    expect(connectionStatus()).toHaveTextContent("Reconnecting… · 1 message waiting");
    expect(screen.getByText("Waiting for connection…")).toBeInTheDocument();
  });

  it("shows a refused vote as an alert", async () => {
    const user = userEvent.setup();
    const { socket } = renderPage();
    joined(socket);
    await user.click(screen.getByRole("button", { name: "Upvote" }));
    act(() => void socket.answer("upvote", { ok: false, error: { code: "not_found", message: "No such message." } }));
    expect(screen.getByRole("alert")).toHaveTextContent("The vote was not counted: No such message.");
  });

  it("announces messages from others in the live region", () => {
    const { socket } = renderPage();
    joined(socket);
    act(() => socket.fire("data", makeMessage({ id: 2, seq: 2, body: "news", author: { id: 3, username: "carol" } })));
    expect(document.querySelector("[aria-live='polite']")).toHaveTextContent("carol: news");
  });

  it("logs out through the API", async () => {
    const user = userEvent.setup();
    const { socket, calls } = renderPage();
    joined(socket);
    await user.click(screen.getByRole("button", { name: "Log out" }));
    expect(calls.map((call) => call.route)).toContain("POST /api/logout");
    expect(screen.getByRole("button", { name: "Log out" })).toBeDisabled();
  });
});
