import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import * as api from "../api/client";
import type { User } from "../api/types";
import { clearAuthRoute } from "./useHashRoute";

export type AuthStatus = "loading" | "anonymous" | "authenticated" | "unreachable";

export interface AuthValue {
  status: AuthStatus;
  user: User | null;
  signup(input: api.SignupInput): Promise<void>;
  login(email: string, password: string): Promise<void>;
  logout(): Promise<void>;
  /** Asks the server whether the session still holds; resolves to whether it does. */
  refresh(): Promise<boolean>;
  /** Forgets the user locally after the server ended the session. */
  sessionEnded(): void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [status, setStatus] = useState<AuthStatus>("loading");

  const refresh = useCallback(async () => {
    try {
      const me = await api.fetchMe();
      setUser(me);
      setStatus(me === null ? "anonymous" : "authenticated");
      return me !== null;
    } catch {
      // The server is unreachable: keep what we had, a live socket reconnects by itself.
      setStatus((current) => (current === "loading" ? "unreachable" : current));
      return true;
    }
  }, []);

  // A reload keeps the person logged in: the session cookie decides.
  useEffect(() => {
    let cancelled = false;
    api.fetchMe().then(
      (me) => {
        if (cancelled) return;
        setUser(me);
        setStatus(me === null ? "anonymous" : "authenticated");
      },
      () => {
        if (!cancelled) setStatus("unreachable");
      },
    );
    return () => {
      cancelled = true;
    };
  }, []);

  const signup = useCallback(async (input: api.SignupInput) => {
    const created = await api.signup(input);
    clearAuthRoute();
    setUser(created);
    setStatus("authenticated");
  }, []);

  const login = useCallback(async (email: string, password: string) => {
    const loggedIn = await api.login(email, password);
    clearAuthRoute();
    setUser(loggedIn);
    setStatus("authenticated");
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setUser(null);
      setStatus("anonymous");
    }
  }, []);

  const sessionEnded = useCallback(() => {
    setUser(null);
    setStatus("anonymous");
  }, []);

  const value = useMemo(
    () => ({ status, user, signup, login, logout, refresh, sessionEnded }),
    [status, user, signup, login, logout, refresh, sessionEnded],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (value === null) throw new Error("useAuth needs an AuthProvider");
  return value;
}
