import type { FailedAck } from "../api/types";

/** How long to wait for an ack before calling a request failed. */
export const ACK_TIMEOUT_MS = 10_000;

/** Whether an ack is the protocol's failure shape (anything but `ok: true`). */
export function isFailed(response: unknown): response is FailedAck {
  return typeof response === "object" && response !== null && (response as { ok?: unknown }).ok !== true;
}

/** The server's message of a failed ack, for people. */
export function failureMessage(response: unknown): string {
  if (isFailed(response) && typeof response.error?.message === "string") return response.error.message;
  return "The server refused the request.";
}

/** The machine-readable code of a failed ack, when there is one. */
export function failureCode(response: unknown): string | undefined {
  return isFailed(response) && typeof response.error?.code === "string" ? response.error.code : undefined;
}
