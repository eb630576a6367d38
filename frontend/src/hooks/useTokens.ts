import { useCallback, useEffect, useState } from "react";
import { ApiError } from "../api/client";
import * as api from "../api/tokens";

export type TokensStatus = "loading" | "ready" | "failed";

export interface TokensValue {
  status: TokensStatus;
  tokens: api.ApiToken[];
  /** The token just created, with its secret: held in memory only, so it is gone after a reload. */
  created: api.CreatedToken | null;
  create(name: string): Promise<api.CreatedToken>;
  revoke(id: number): Promise<void>;
  /** Forgets the secret of the token just created. */
  dismissCreated(): void;
  reload(): Promise<void>;
}

/** The person's API tokens: listing, creating (the secret is kept until dismissed) and revoking. */
export function useTokens(): TokensValue {
  const [status, setStatus] = useState<TokensStatus>("loading");
  const [tokens, setTokens] = useState<api.ApiToken[]>([]);
  const [created, setCreated] = useState<api.CreatedToken | null>(null);

  const reload = useCallback(async () => {
    try {
      setTokens(await api.fetchTokens());
      setStatus("ready");
    } catch {
      setStatus("failed");
    }
  }, []);

  useEffect(() => {
    let cancelled = false;
    api.fetchTokens().then(
      (held) => {
        if (cancelled) return;
        setTokens(held);
        setStatus("ready");
      },
      () => {
        if (!cancelled) setStatus("failed");
      },
    );
    return () => {
      cancelled = true;
    };
  }, []);

  const create = useCallback(async (name: string) => {
    const answer = await api.createToken(name);
    setCreated(answer);
    setTokens((held) => [...held.filter((token) => token.id !== answer.token.id), answer.token]);
    return answer;
  }, []);

  const revoke = useCallback(async (id: number) => {
    try {
      await api.revokeToken(id);
    } catch (error) {
      // Already revoked elsewhere (another tab): it is gone either way.
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
    setTokens((held) => held.filter((token) => token.id !== id));
    setCreated((shown) => (shown !== null && shown.token.id === id ? null : shown));
  }, []);

  const dismissCreated = useCallback(() => setCreated(null), []);

  return { status, tokens, created, create, revoke, dismissCreated, reload };
}
