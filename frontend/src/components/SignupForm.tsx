import { useState, type FormEvent, type ReactNode } from "react";
import { ApiError } from "../api/client";
import { validateSignup, type SignupErrors, type SignupField, type SignupFields } from "../lib/validation";
import { TextField } from "./TextField";

interface SignupFormProps {
  onSubmit(fields: { email: string; username: string; password: string }): Promise<void>;
  /** Opens the log-in form, prefilled with this email when given. */
  onShowLogin(email?: string): void;
}

const FIELD_ORDER: SignupField[] = ["email", "username", "password", "confirm"];

function waitMessage(error: ApiError): string {
  return error.retryAfter !== undefined
    ? `Too many attempts. Please wait ${error.retryAfter} seconds and try again.`
    : "Too many attempts. Please wait a moment and try again.";
}

/** Strips the "field: " prefix the server puts before a field's message. */
function fieldMessage(message: string, field: string): string {
  return message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}

export function SignupForm({ onSubmit, onShowLogin }: SignupFormProps) {
  const [fields, setFields] = useState<SignupFields>({ email: "", username: "", password: "", confirm: "" });
  const [touched, setTouched] = useState<Partial<Record<SignupField, boolean>>>({});
  const [serverErrors, setServerErrors] = useState<Partial<Record<SignupField, ReactNode>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  const clientErrors: SignupErrors = validateSignup(fields);

  const errorFor = (field: SignupField): ReactNode => {
    if (serverErrors[field]) return serverErrors[field];
    if (!touched[field]) return undefined;
    return clientErrors[field];
  };

  const update = (field: SignupField) => (value: string) => {
    setFields((current) => ({ ...current, [field]: value }));
    setServerErrors((current) => {
      if (!(field in current)) return current;
      const next = { ...current };
      delete next[field];
      return next;
    });
    // Confirm is judged as the person types once it has something in it; a mismatch is
    // visible right away, but a half-typed email or password only after leaving the field.
    if (field === "confirm" && value !== "") setTouched((current) => ({ ...current, confirm: true }));
  };

  const leave = (field: SignupField) => () => {
    if (fields[field] !== "") setTouched((current) => ({ ...current, [field]: true }));
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFormError(null);
    setTouched({ email: true, username: true, password: true, confirm: true });
    const firstInvalid = FIELD_ORDER.find((field) => clientErrors[field] !== undefined);
    if (firstInvalid !== undefined) {
      event.currentTarget.querySelector<HTMLInputElement>(`[name="${firstInvalid}"]`)?.focus();
      return;
    }
    setSubmitting(true);
    try {
      await onSubmit({ email: fields.email.trim(), username: fields.username, password: fields.password });
    } catch (error) {
      setSubmitting(false);
      if (!(error instanceof ApiError)) {
        setFormError("Something went wrong. Please try again.");
        return;
      }
      if (error.status === 409 && error.field === "email") {
        setServerErrors({
          email: (
            <>
              Email already registered.{" "}
              <button type="button" className="link-button" onClick={() => onShowLogin(fields.email.trim())}>
                Go to the log-in page
              </button>
            </>
          ),
        });
        return;
      }
      if (error.status === 409 && error.field === "username") {
        setServerErrors({ username: "Username already taken." });
        return;
      }
      if (error.field !== undefined && (FIELD_ORDER as string[]).includes(error.field)) {
        const field = error.field as SignupField;
        setServerErrors({ [field]: fieldMessage(error.message, field) });
        return;
      }
      if (error.status === 429) setFormError(waitMessage(error));
      else if (error.status === 0) setFormError("Cannot reach the server. Check your connection and try again.");
      else setFormError(error.message);
      return;
    }
  };

  return (
    <form className="auth-form" noValidate onSubmit={(event) => void submit(event)}>
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        value={fields.email}
        onChange={update("email")}
        onBlur={leave("email")}
        error={errorFor("email")}
      />
      <TextField
        label="Username"
        name="username"
        autoComplete="username"
        required
        value={fields.username}
        onChange={update("username")}
        onBlur={leave("username")}
        error={errorFor("username")}
        hint="3 to 32 letters, digits, _ or -."
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        value={fields.password}
        onChange={update("password")}
        onBlur={leave("password")}
        error={errorFor("password")}
        hint="At least 10 characters."
      />
      <TextField
        label="Confirm password"
        name="confirm"
        type="password"
        autoComplete="new-password"
        required
        value={fields.confirm}
        onChange={update("confirm")}
        onBlur={leave("confirm")}
        error={errorFor("confirm")}
      />
      {formError !== null && (
        <p role="alert" className="form-error">
          {formError}
        </p>
      )}
      <button type="submit" className="button button-primary" disabled={submitting}>
        Sign up
      </button>
    </form>
  );
}
