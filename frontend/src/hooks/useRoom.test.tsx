import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it } from "vitest";
import { FakeSocket, makeMessage } from "../__tests__/fakeSocket";
import { SocketProvider } from "../socket/SocketContext";
import { useConnection } from "./useConnection";
import { useRoom } from "./useRoom";

function setup() {
  const socket = new FakeSocket();
  const wrapper = ({ children }: { children: ReactNode }) => <SocketProvider socket={socket}>{children}</SocketProvider>;
  const hook = renderHook(
    () => {
      const connection = useConnection({});
      const room = useRoom({ room: "general", myId: 1, makeClientId: () => "c-1" });
      return { connection, room };
    },
    { wrapper },
  );
  return { socket, hook };
}

describe("useConnection and useRoom", () => {
  it("open the socket, join the room and re-render with what arrives", () => {
    const { socket, hook } = setup();
    expect(socket.connectCalls).toBe(1);
    expect(hook.result.current.connection).toBe("connecting");
    act(() => socket.serverAccepts());
    expect(hook.result.current.connection).toBe("connected");
    act(() => void socket.answer("join", { ok: true, messages: [makeMessage({ id: 1 })], has_more: false, seq: 1 }));
    act(() => socket.fire("data", makeMessage({ id: 2, seq: 2, body: "hi", author: { id: 2, username: "bob" } })));
    expect(hook.result.current.room.state.messages.map((m) => m.id)).toEqual([1, 2]);
    expect(hook.result.current.room.announcement).toBe("bob: hi");
    act(() => hook.result.current.room.send("hello"));
    expect(socket.pending("data")[0]?.payload).toEqual({ room: "general", body: "hello", client_id: "c-1" });
  });

  it("remove their listeners and disconnect on unmount", () => {
    const { socket, hook } = setup();
    expect(socket.listenerCount("data")).toBe(1);
    hook.unmount();
    expect(socket.listenerCount("data")).toBe(0);
    expect(socket.listenerCount("connect")).toBe(0);
    expect(socket.disconnectCalls).toBe(1);
  });
});
