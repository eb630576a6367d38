import type { ConnectionState } from "../socket/connection";

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/**
 * The connection state as a pill. On narrow screens only its dot shows, so the room's name
 * keeps the space; the words stay for screen readers and as the tooltip.
 */
export function ConnectionStatus({ state, waiting }: { state: ConnectionState; waiting: number }) {
  const waitingText = waiting > 0 && state !== "connected" ? ` · ${waiting} ${waiting === 1 ? "message" : "messages"} waiting` : "";
  return (
    <p role="status" className={`connection connection-${state}`} title={LABELS[state] + waitingText}>
      <span className="connection-dot" aria-hidden="true" />
      <span className="connection-label">
        {LABELS[state]}
        {waitingText !== "" && <span className="connection-waiting">{waitingText}</span>}
      </span>
    </p>
  );
}
