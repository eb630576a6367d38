import type { ConnectionState } from "../socket/connection";

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

export function ConnectionStatus({ state, waiting }: { state: ConnectionState; waiting: number }) {
  return (
    <p role="status" className={`connection connection-${state}`}>
      <span className="connection-dot" aria-hidden="true" />
      {LABELS[state]}
      {waiting > 0 && state !== "connected" && (
        <span className="connection-waiting">
          {" "}
          · {waiting} {waiting === 1 ? "message" : "messages"} waiting
        </span>
      )}
    </p>
  );
}
