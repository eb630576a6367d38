import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeSocket } from "../__tests__/fakeSocket";
import { Connection, RECONNECT_DELAY_MS, type ConnectionHandlers, type NetworkSignal } from "./connection";

afterEach(() => {
  vi.useRealTimers();
});

class FakeNetwork implements NetworkSignal {
  up = true;
  private readonly listeners = new Set<() => void>();
  online = () => this.up;
  subscribe(listener: () => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(up: boolean) {
    this.up = up;
    for (const listener of this.listeners) listener();
  }
}

function setup() {
  const socket = new FakeSocket();
  const network = new FakeNetwork();
  let handlers: ConnectionHandlers = {};
  const connection = new Connection(socket, network);
  connection.open(() => handlers);
  const setHandlers = (next: ConnectionHandlers) => {
    handlers = next;
  };
  return { socket, network, connection, setHandlers, state: () => connection.state.get() };
}

describe("Connection", () => {
  it("connects once and reports connecting, connected and reconnecting", () => {
    const { socket, state } = setup();
    expect(socket.connectCalls).toBe(1);
    expect(state()).toBe("connecting");
    socket.serverAccepts();
    expect(state()).toBe("connected");
    socket.serverDrops();
    expect(state()).toBe("reconnecting");
    socket.fire("connect_error", new Error("refused"));
    expect(state()).toBe("reconnecting");
    socket.serverAccepts();
    expect(state()).toBe("connected");
  });

  it("stays connecting while the first attempts fail", () => {
    const { socket, state } = setup();
    socket.fire("connect_error", new Error("refused"));
    expect(state()).toBe("connecting");
  });

  it("shows offline when the browser loses the network, and reconnecting once it is back", () => {
    const { socket, network, state } = setup();
    socket.serverAccepts();
    network.set(false);
    // The socket has not noticed yet: it is still the truth.
    expect(state()).toBe("connected");
    socket.serverDrops();
    expect(state()).toBe("offline");
    network.set(true);
    expect(state()).toBe("reconnecting");
  });

  it("starts offline without a network", () => {
    const socket = new FakeSocket();
    const network = new FakeNetwork();
    network.up = false;
    expect(new Connection(socket, network).state.get()).toBe("offline");
  });

  it("shows offline once it closes the socket itself, then stops listening", () => {
    const { socket, connection, state } = setup();
    socket.serverAccepts();
    const seen: string[] = [];
    connection.state.subscribe(() => seen.push(connection.state.get()));
    connection.close();
    expect(socket.disconnectCalls).toBe(1);
    expect(seen).toEqual(["offline"]);
    expect(state()).toBe("offline");
    for (const event of ["connect", "disconnect", "connect_error", "session_ended"]) {
      expect(socket.listenerCount(event)).toBe(0);
    }
  });

  it("asks whether the session holds when the server refuses the connection, and retries only if it does", async () => {
    vi.useFakeTimers();
    const { socket, setHandlers } = setup();
    const onConnectionRefused = vi.fn(() => Promise.resolve(true));
    setHandlers({ onConnectionRefused });
    socket.active = false;
    socket.fire("connect_error", new Error("unauthorized"));
    expect(onConnectionRefused).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(RECONNECT_DELAY_MS);
    expect(socket.connectCalls).toBe(2);

    onConnectionRefused.mockResolvedValue(false);
    socket.fire("connect_error", new Error("unauthorized"));
    await vi.advanceTimersByTimeAsync(RECONNECT_DELAY_MS * 3);
    expect(socket.connectCalls).toBe(2);
  });

  it("checks the session when the server closes the socket on purpose", () => {
    const { socket, setHandlers } = setup();
    const onConnectionRefused = vi.fn(() => Promise.resolve(false));
    setHandlers({ onConnectionRefused });
    socket.serverAccepts();
    socket.connected = false;
    socket.fire("disconnect", "io server disconnect");
    expect(onConnectionRefused).toHaveBeenCalledTimes(1);
    socket.fire("disconnect", "transport close");
    expect(onConnectionRefused).toHaveBeenCalledTimes(1);
  });

  it("passes session_ended on", () => {
    const { socket, setHandlers } = setup();
    const onSessionEnded = vi.fn();
    setHandlers({ onSessionEnded });
    socket.fire("session_ended", { reason: "logged_out" });
    expect(onSessionEnded).toHaveBeenCalledTimes(1);
  });
});
