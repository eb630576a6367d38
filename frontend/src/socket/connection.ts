import { Observable } from "../lib/observable";
import { listen, type ChatSocket } from "./socket";

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "offline";

/** How long to wait before connecting again after the server turned the socket away. */
export const RECONNECT_DELAY_MS = 1_000;

/** Whether the device has a network at all, as the browser sees it. */
export interface NetworkSignal {
  online(): boolean;
  /** Calls `listener` when the answer may have changed; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

export const browserNetwork: NetworkSignal = {
  online: () => navigator.onLine,
  subscribe(listener) {
    window.addEventListener("online", listener);
    window.addEventListener("offline", listener);
    return () => {
      window.removeEventListener("online", listener);
      window.removeEventListener("offline", listener);
    };
  },
};

export interface ConnectionHandlers {
  /**
   * Called when the server refuses or ends the connection. Resolves to whether the session is
   * still valid; when it is, the connection is opened again.
   */
  onConnectionRefused?: () => Promise<boolean>;
  /** Called on `session_ended`: the person was logged out elsewhere. */
  onSessionEnded?: () => void;
}

type Phase = "connecting" | "connected" | "reconnecting" | "closed";

/**
 * The tab's one socket connection, shared by every open room: opens it, reports its state,
 * and asks whether the session still holds when the server turns the socket away.
 *
 * "offline" means this client is not trying: the browser reports no network, or the
 * connection was closed here. While the network is there, a lost connection is "reconnecting"
 * (socket.io-client retries by itself).
 */
export class Connection {
  readonly state: Observable<ConnectionState>;
  private phase: Phase;
  private handlers: () => ConnectionHandlers = () => ({});
  private stop: (() => void) | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly socket: ChatSocket,
    private readonly network: NetworkSignal = browserNetwork,
  ) {
    this.phase = socket.connected ? "connected" : "connecting";
    this.state = new Observable(this.derive());
  }

  /**
   * Starts listening and connects the socket unless it is connected already. `handlers` is
   * read at each call, so a caller may change them while the connection is open.
   */
  open(handlers: () => ConnectionHandlers = () => ({})): void {
    if (this.stop !== null) return;
    this.handlers = handlers;
    const unlisten = listen(this.socket, {
      connect: () => this.enter("connected"),
      disconnect: (reason: string) => this.onDisconnect(reason),
      connect_error: () => this.onConnectError(),
      session_ended: () => this.handlers().onSessionEnded?.(),
    });
    const unwatch = this.network.subscribe(() => this.state.set(this.derive()));
    this.stop = () => {
      unlisten();
      unwatch();
      clearTimeout(this.reconnectTimer);
    };
    if (this.socket.connected) this.enter("connected");
    else {
      if (this.phase === "closed") this.enter("connecting");
      this.socket.connect();
    }
  }

  /** Disconnects the socket (its "disconnect" still reaches the listeners), then stops listening. */
  close(): void {
    if (this.stop === null) return;
    this.socket.disconnect();
    this.stop();
    this.stop = null;
  }

  private onDisconnect(reason: string): void {
    if (reason === "io client disconnect") {
      this.enter("closed");
      return;
    }
    this.enter("reconnecting");
    // The server closed this socket on purpose; socket.io-client will not reconnect by itself.
    if (reason === "io server disconnect") this.checkSession();
  }

  private onConnectError(): void {
    if (this.phase !== "connecting") this.enter("reconnecting");
    if (!this.socket.active) this.checkSession();
  }

  private checkSession(): void {
    const check = this.handlers().onConnectionRefused;
    if (check === undefined) return;
    void check().then((stillValid) => {
      if (!stillValid || this.stop === null) return;
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = setTimeout(() => this.socket.connect(), RECONNECT_DELAY_MS);
    });
  }

  private enter(phase: Phase): void {
    this.phase = phase;
    this.state.set(this.derive());
  }

  private derive(): ConnectionState {
    if (this.phase === "connected") return "connected";
    if (this.phase === "closed" || !this.network.online()) return "offline";
    return this.phase;
  }
}
