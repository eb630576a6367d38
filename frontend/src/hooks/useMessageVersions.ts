import { useEffect, useState } from "react";
import { ApiError } from "../api/client";
import { fetchVersions, type MessageVersion } from "../api/moderation";

export type VersionsState =
  | { status: "loading" }
  | { status: "ready"; versions: MessageVersion[] }
  | { status: "failed"; error: string };

/**
 * The versions of one message, oldest first, loaded when the calling component mounts. The
 * caller mounts one per message (a new message id is a new component).
 */
export function useMessageVersions(messageId: number): VersionsState {
  const [state, setState] = useState<VersionsState>({ status: "loading" });
  useEffect(() => {
    let cancelled = false;
    fetchVersions(messageId).then(
      (versions) => {
        if (!cancelled) setState({ status: "ready", versions });
      },
      (error: unknown) => {
        if (cancelled) return;
        const gone = error instanceof ApiError && error.status === 404;
        const message = gone ? "This message is gone." : error instanceof Error ? error.message : "The versions could not be loaded.";
        setState({ status: "failed", error: message });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [messageId]);
  return state;
}
