import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { MAX_LIVE_TOKENS, TOKEN_NAME_MAX_CHARS } from "../api/generated";
import type { ApiToken, CreatedToken } from "../api/tokens";
import type { User } from "../api/types";
import { TextField } from "../components/TextField";
import { useNow } from "../hooks/useNow";
import { useTokens } from "../hooks/useTokens";
import { absoluteTime, relativeTime } from "../lib/time";

interface TokensPageProps {
  user: User;
  onBack(): void;
}

/** Personal API tokens: create one (its secret is shown once), see when each was used, revoke. */
export function TokensPage({ user, onBack }: TokensPageProps) {
  const tokens = useTokens();
  const now = useNow();

  useEffect(() => {
    document.title = "Tokens · Chatroom";
  }, []);

  return (
    <div className="tokens-page">
      <header className="topbar">
        <div className="topbar-title">
          <button type="button" className="button button-quiet" onClick={onBack}>
            Back to chat
          </button>
          <h1 className="topbar-brand">Tokens</h1>
        </div>
        <div className="topbar-user">
          <span className="topbar-username" title={user.email}>
            {user.username}
          </span>
        </div>
      </header>
      <main className="tokens-main">
        <p className="tokens-lead">
          Personal API tokens let your scripts and bots act as you. Send one as <code>Authorization: Bearer …</code>{" "}
          over HTTP, or as <code>{'{"token": "…"}'}</code> when connecting to Socket.IO. Revoke a token you no longer
          use: it stops working everywhere at once.
        </p>
        {tokens.created !== null && (
          <NewSecret key={tokens.created.token.id} created={tokens.created} onDone={tokens.dismissCreated} />
        )}
        <NewTokenForm full={tokens.tokens.length >= MAX_LIVE_TOKENS} onCreate={tokens.create} />
        <section className="tokens-section" aria-labelledby="tokens-heading">
          <h2 id="tokens-heading" className="tokens-heading">
            Your tokens
          </h2>
          {tokens.status === "loading" && <p role="status">Loading tokens…</p>}
          {tokens.status === "failed" && (
            <p role="alert">
              The tokens could not be loaded.{" "}
              <button type="button" className="link-button" onClick={() => void tokens.reload()}>
                Try again
              </button>
            </p>
          )}
          {tokens.status === "ready" && tokens.tokens.length === 0 && <p className="tokens-empty">No tokens yet.</p>}
          {tokens.tokens.length > 0 && (
            <ul className="token-list" aria-label="Tokens">
              {tokens.tokens.map((token) => (
                <TokenItem key={token.id} token={token} now={now} onRevoke={tokens.revoke} />
              ))}
            </ul>
          )}
        </section>
      </main>
    </div>
  );
}

function NewTokenForm({ full, onCreate }: { full: boolean; onCreate(name: string): Promise<CreatedToken> }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [formError, setFormError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const length = Array.from(name.trim()).length;
    setFormError(undefined);
    const problem =
      length === 0
        ? "Give the token a name, such as the script that will use it."
        : length > TOKEN_NAME_MAX_CHARS
          ? `At most ${TOKEN_NAME_MAX_CHARS} characters.`
          : undefined;
    setError(problem);
    if (problem !== undefined) return;
    setBusy(true);
    try {
      await onCreate(name.trim());
      setName("");
    } catch (failure) {
      if (failure instanceof ApiError && failure.field === "name") setError(failure.message);
      else if (failure instanceof ApiError && failure.code === "too_many")
        setFormError(`You have ${MAX_LIVE_TOKENS} tokens, the most there can be. Revoke one first.`);
      else if (failure instanceof ApiError && failure.status === 429)
        setFormError("You have created many tokens lately. Try again later.");
      else setFormError(failure instanceof Error ? failure.message : "The token could not be created.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="token-form" aria-label="New token" onSubmit={(event) => void submit(event)} noValidate>
      <TextField label="Token name" value={name} onChange={setName} error={error} autoComplete="off" required />
      {full && <p className="field-hint">You have {MAX_LIVE_TOKENS} tokens, the most there can be. Revoke one to create another.</p>}
      {formError !== undefined && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <button type="submit" className="button button-primary" disabled={busy || full}>
        Create token
      </button>
    </form>
  );
}

type CopyState = "idle" | "copied" | "failed";

/** The secret of the token just created: shown this once, with a button that copies it. */
function NewSecret({ created, onDone }: { created: CreatedToken; onDone(): void }) {
  const [copy, setCopy] = useState<CopyState>("idle");
  const secretRef = useRef<HTMLElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  // Mounted once per new token (keyed by its id): the person's attention goes to the secret.
  useEffect(() => {
    heading.current?.focus();
  }, []);

  const copySecret = async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopy("copied");
    } catch {
      // No clipboard (insecure context, or permission refused): select it for a manual copy.
      const node = secretRef.current;
      const selection = window.getSelection();
      if (node !== null && selection !== null) {
        const range = document.createRange();
        range.selectNodeContents(node);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      setCopy("failed");
    }
  };

  return (
    <section className="token-secret" aria-labelledby="token-secret-heading">
      <h2 id="token-secret-heading" className="tokens-heading" tabIndex={-1} ref={heading}>
        Token “{created.token.name}” created
      </h2>
      <p>Copy its secret now. It is not shown again: if you lose it, revoke the token and create another.</p>
      <div className="token-secret-row">
        <code className="token-secret-value" data-testid="token-secret" ref={secretRef}>
          {created.secret}
        </code>
        <button type="button" className="button button-primary" onClick={() => void copySecret()}>
          Copy
        </button>
      </div>
      <p role="status" className="token-copy-state">
        {copy === "copied" ? "Copied." : copy === "failed" ? "Could not copy: the secret is selected, copy it by hand." : ""}
      </p>
      <button type="button" className="button button-quiet" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

function TokenItem({ token, now, onRevoke }: { token: ApiToken; now: number; onRevoke(id: number): Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const revoke = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onRevoke(token.id);
    } catch (failure) {
      setBusy(false);
      setError(failure instanceof Error ? failure.message : "The token could not be revoked.");
    }
  };

  return (
    <li className="token-item">
      <div className="token-info">
        <span className="token-name">{token.name}</span>
        <span className="token-times">
          Created <time dateTime={token.created_at} title={absoluteTime(token.created_at)}>{relativeTime(token.created_at, now)}</time>
          {" · "}
          {token.last_used_at === null ? (
            "Never used"
          ) : (
            <>
              Last used{" "}
              <time dateTime={token.last_used_at} title={absoluteTime(token.last_used_at)}>
                {relativeTime(token.last_used_at, now)}
              </time>
            </>
          )}
        </span>
      </div>
      {confirming ? (
        <div className="token-confirm" role="group" aria-label={`Revoke ${token.name}?`}>
          <span>Revoke it? Scripts using it stop working at once.</span>
          <button type="button" className="button button-danger" disabled={busy} onClick={() => void revoke()}>
            Yes, revoke
          </button>
          <button type="button" className="button button-quiet" disabled={busy} onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" className="button button-quiet" onClick={() => setConfirming(true)}>
          Revoke
        </button>
      )}
      {error !== undefined && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
