import { createContext, useContext, type ReactNode } from "react";
import { getSocket, type ChatSocket } from "./socket";

const SocketContext = createContext<ChatSocket | null>(null);

/** Lets tests hand the hooks a fake socket; the app uses the tab's one shared socket. */
export function SocketProvider({ socket, children }: { socket: ChatSocket; children: ReactNode }) {
  return <SocketContext.Provider value={socket}>{children}</SocketContext.Provider>;
}

export function useSocket(): ChatSocket {
  return useContext(SocketContext) ?? getSocket();
}
