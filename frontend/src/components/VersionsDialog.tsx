import { useMessageVersions } from "../hooks/useMessageVersions";
import { absoluteTime } from "../lib/time";
import { Dialog } from "./Dialog";
import { MessageBody } from "./MessageBody";

interface VersionsDialogProps {
  messageId: number;
  author: string;
  /** When the original was sent: the first version has no edit time of its own. */
  sentAt: string;
  onClose(): void;
}

/** Every version of an edited message, oldest first. */
export function VersionsDialog({ messageId, author, sentAt, onClose }: VersionsDialogProps) {
  const versions = useMessageVersions(messageId);
  return (
    <Dialog title={`Versions of the message by ${author}`} onClose={onClose}>
      {versions.status === "loading" && <p role="status">Loading…</p>}
      {versions.status === "failed" && (
        <p className="form-error" role="alert">
          {versions.error}
        </p>
      )}
      {versions.status === "ready" && (
        <ol className="versions" aria-label="Versions">
          {versions.versions.map((version, index) => {
            const at = version.edited_at ?? sentAt;
            const last = index === versions.versions.length - 1;
            return (
              <li key={index} className="version">
                <p className="version-meta">
                  {version.edited_at === null ? "Original" : last ? "Current" : `Edit ${index}`} ·{" "}
                  <time dateTime={at}>{absoluteTime(at)}</time>
                </p>
                <MessageBody body={version.body} />
              </li>
            );
          })}
        </ol>
      )}
      <div className="dialog-actions">
        <button type="button" className="button button-quiet" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
