/** The end of a dialog's form: the server's refusal, if any, then Cancel and the action. */
export function DialogFooter({ error, busy, action, onClose }: { error: string | null; busy: boolean; action: string; onClose(): void }) {
  return (
    <>
      {error !== null && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button button-quiet" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button button-danger" disabled={busy}>
          {action}
        </button>
      </div>
    </>
  );
}
