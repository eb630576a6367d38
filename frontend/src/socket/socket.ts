import { io } from "socket.io-client";

export type Listener = (...args: never[]) => void;
export type AckCallback = (err: Error | null, response?: unknown) => void;

/**
 * The part of a socket.io-client Socket the app uses. Hooks depend on this interface, so
 * tests can hand them a fake socket instead of a real connection.
 */
export interface ChatSocket {
  readonly connected: boolean;
  /** False once the server refused the connection: the client will not retry by itself. */
  readonly active: boolean;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
  timeout(ms: number): { emit(event: string, payload: unknown, ack: AckCallback): unknown };
  connect(): unknown;
  disconnect(): unknown;
}

let shared: ChatSocket | null = null;

/**
 * The one socket of this tab. It connects lazily (when the chat opens) and carries the
 * session cookie of the same origin; socket.io-client reconnects it by itself.
 */
export function getSocket(): ChatSocket {
  if (shared === null) {
    shared = io({
      autoConnect: false,
      withCredentials: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
    }) as unknown as ChatSocket;
  }
  return shared;
}

/** Adds every listener of `handlers` to the socket; the function returned removes them all. */
export function listen(socket: ChatSocket, handlers: Record<string, Listener>): () => void {
  const entries = Object.entries(handlers);
  for (const [event, listener] of entries) socket.on(event, listener);
  return () => {
    for (const [event, listener] of entries) socket.off(event, listener);
  };
}
