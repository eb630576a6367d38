import { useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { validateLogin } from "../lib/validation";
import { TextField } from "./TextField";

interface LoginFormProps {
  initialEmail?: string;
  onSubmit(email: string, password: string): Promise<void>;
}

/** Never says which field was wrong: the same message for an unknown email and a wrong password. */
function loginFailure(error: unknown): string {
  if (!(error instanceof ApiError)) return "Something went wrong. Please try again.";
  if (error.status === 401) return "Wrong email or password.";
  if (error.status === 429) {
    return error.retryAfter !== undefined
      ? `Too many attempts. Please wait ${error.retryAfter} seconds before trying again.`
      : "Too many attempts. Please wait a few minutes before trying again.";
  }
  if (error.status === 0) return "Cannot reach the server. Check your connection and try again.";
  if (error.status === 400) return "Enter a valid email address and your password.";
  return "The server could not log you in right now. Please try again later.";
}

export function LoginForm({ initialEmail = "", onSubmit }: LoginFormProps) {
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const problem = validateLogin(email, password);
    if (problem !== undefined) {
      setError(problem);
      return;
    }
    setError(null);
    setSubmitting(true);
    try {
      await onSubmit(email.trim(), password);
    } catch (failure) {
      setSubmitting(false);
      setError(loginFailure(failure));
    }
  };

  return (
    <form className="auth-form" noValidate onSubmit={(event) => void submit(event)}>
      <TextField label="Email" name="email" type="email" autoComplete="email" required value={email} onChange={setEmail} />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={setPassword}
      />
      {error !== null && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
      <button type="submit" className="button button-primary" disabled={submitting}>
        Log in
      </button>
    </form>
  );
}
