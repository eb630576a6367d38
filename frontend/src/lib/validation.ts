// Client-side checks that mirror the server's sign-up rules (docs/protocol.md), with the
// server's own limits (generated from chatroom/schemas.py). The server stays the judge (it also
// refuses common passwords); these only give early feedback.
import {
  BODY_MAX_CHARS,
  PASSWORD_MAX_CHARS,
  PASSWORD_MIN_CHARS,
  USERNAME_MAX_CHARS,
  USERNAME_MIN_CHARS,
  USERNAME_PATTERN as USERNAME_SOURCE,
} from "../api/generated";

export const PASSWORD_MIN = PASSWORD_MIN_CHARS;
export const PASSWORD_MAX = PASSWORD_MAX_CHARS;
/** Longest message body, in characters after trimming. */
export const BODY_MAX = BODY_MAX_CHARS;

export interface SignupFields {
  email: string;
  username: string;
  password: string;
  confirm: string;
}

export type SignupField = keyof SignupFields;
export type SignupErrors = Partial<Record<SignupField, string>>;

// One "@", no spaces, and a dot in the domain part: the same shape the server accepts.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const USERNAME_PATTERN = new RegExp(USERNAME_SOURCE);

/** Length in code points, as the server counts characters. */
function charCount(value: string): number {
  return Array.from(value).length;
}

export function validateEmail(email: string): string | undefined {
  const value = email.trim();
  if (value === "") return "Enter your email address.";
  if (!EMAIL_PATTERN.test(value)) return "Enter an email address like name@example.com.";
  return undefined;
}

export function validateUsername(username: string): string | undefined {
  if (username === "") return "Choose a username.";
  if (!USERNAME_PATTERN.test(username)) return `Use ${USERNAME_MIN_CHARS} to ${USERNAME_MAX_CHARS} letters, digits, _ or -.`;
  return undefined;
}

export function validatePassword(password: string, fields?: Pick<SignupFields, "email" | "username">): string | undefined {
  const length = charCount(password);
  if (length === 0) return "Choose a password.";
  if (length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters (${PASSWORD_MIN - length} more).`;
  if (length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  if (fields !== undefined) {
    const lower = password.toLowerCase();
    if (fields.username !== "" && lower === fields.username.toLowerCase()) return "The password must not be your username.";
    if (fields.email.trim() !== "" && lower === fields.email.trim().toLowerCase()) return "The password must not be your email.";
  }
  return undefined;
}

export function validateConfirm(password: string, confirm: string): string | undefined {
  if (confirm === "") return "Type the password again.";
  if (confirm !== password) return "The passwords do not match.";
  return undefined;
}

export function validateSignup(fields: SignupFields): SignupErrors {
  const errors: SignupErrors = {};
  const email = validateEmail(fields.email);
  if (email !== undefined) errors.email = email;
  const username = validateUsername(fields.username);
  if (username !== undefined) errors.username = username;
  const password = validatePassword(fields.password, fields);
  if (password !== undefined) errors.password = password;
  const confirm = validateConfirm(fields.password, fields.confirm);
  if (confirm !== undefined) errors.confirm = confirm;
  return errors;
}

export function validateLogin(email: string, password: string): string | undefined {
  if (email.trim() === "" || password === "") return "Enter your email and password.";
  return undefined;
}
