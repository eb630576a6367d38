import { render } from "@testing-library/react";
import { vi } from "vitest";
import type { User } from "../api/types";
import { AuthProvider } from "../hooks/useAuth";
import { ChatPage } from "../pages/ChatPage";
import { SocketProvider } from "../socket/SocketContext";
import type { FakeSocket } from "./fakeSocket";

/** The chat page as the App shows it to `user`, on a fake socket. */
export function renderChatPage(socket: FakeSocket, user: User): void {
  render(
    <AuthProvider>
      <SocketProvider socket={socket}>
        <ChatPage user={user} onOpenTokens={vi.fn()} />
      </SocketProvider>
    </AuthProvider>,
  );
}
