import type { ErrorBody, User } from "./types";

/** An HTTP failure, parsed from the server's `{"error": {...}}` body when there is one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  /** Seconds from the `Retry-After` header of a 429, when given. */
  readonly retryAfter: number | undefined;

  constructor(status: number, body: ErrorBody, retryAfter?: number) {
    super(body.message);
    this.name = "ApiError";
    this.status = status;
    this.code = body.code;
    this.field = body.field;
    this.retryAfter = retryAfter;
  }
}

function isErrorBody(value: unknown): value is { error: ErrorBody } {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = (value as { error: unknown }).error;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as ErrorBody).code === "string" &&
    typeof (error as ErrorBody).message === "string"
  );
}

function parseRetryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

/**
 * Sends one JSON request to the API and returns the parsed body.
 * Every failure, including a network failure (status 0), becomes an ApiError.
 */
export async function request<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { code: "network", message: "Cannot reach the server." });
  }
  if (response.status === 204) return undefined as T;
  let parsed: unknown = undefined;
  try {
    parsed = await response.json();
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error: ErrorBody = isErrorBody(parsed)
      ? parsed.error
      : { code: response.status >= 500 ? "unavailable" : "internal", message: `HTTP ${response.status}` };
    throw new ApiError(response.status, error, parseRetryAfter(response.headers.get("Retry-After")));
  }
  return parsed as T;
}

export interface SignupInput {
  email: string;
  username: string;
  password: string;
}

export async function signup(input: SignupInput): Promise<User> {
  const { user } = await request<{ user: User }>("POST", "/api/signup", input);
  return user;
}

export async function login(email: string, password: string): Promise<User> {
  const { user } = await request<{ user: User }>("POST", "/api/login", { email, password });
  return user;
}

export async function logout(): Promise<void> {
  await request<void>("POST", "/api/logout", {});
}

/** The logged-in user, or null when there is no valid session. */
export async function fetchMe(): Promise<User | null> {
  try {
    const { user } = await request<{ user: User }>("GET", "/api/me");
    return user;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}
