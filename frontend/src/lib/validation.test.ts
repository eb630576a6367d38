import { describe, expect, it } from "vitest";
import { validateConfirm, validateEmail, validateLogin, validatePassword, validateSignup, validateUsername } from "./validation";

describe("sign-up validation", () => {
  it.each(["alice@example.com", "a.b+c@mail.example.org", "Alice@Example.COM"])("accepts the email %s", (email) => {
    expect(validateEmail(email)).toBeUndefined();
  });

  it.each(["", "alice", "alice@", "@example.com", "alice@example", "al ice@example.com", "a@@example.com"])(
    "refuses the email %j",
    (email) => {
      expect(validateEmail(email)).toBeDefined();
    },
  );

  it("accepts usernames of 3-32 letters, digits, _ or -", () => {
    expect(validateUsername("bob")).toBeUndefined();
    expect(validateUsername("a_b-C9")).toBeUndefined();
    expect(validateUsername("x".repeat(32))).toBeUndefined();
    expect(validateUsername("ab")).toBeDefined();
    expect(validateUsername("x".repeat(33))).toBeDefined();
    expect(validateUsername("bob smith")).toBeDefined();
  });

  it("wants passwords of 10 to 256 characters", () => {
    expect(validatePassword("123456789")).toMatch(/10 characters/);
    expect(validatePassword("1234567890")).toBeUndefined();
    expect(validatePassword("p".repeat(256))).toBeUndefined();
    expect(validatePassword("p".repeat(257))).toMatch(/256/);
  });

  it("counts characters, not UTF-16 units", () => {
    expect(validatePassword("😀".repeat(9))).toBeDefined();
    expect(validatePassword("😀".repeat(10))).toBeUndefined();
  });

  it("refuses a password equal to the username or email, ignoring case", () => {
    expect(validatePassword("LongUsername1", { username: "longusername1", email: "" })).toMatch(/username/);
    expect(validatePassword("ME@example.com", { username: "", email: "me@example.com" })).toMatch(/email/);
  });

  it("checks that the confirmation matches", () => {
    expect(validateConfirm("correct horse", "")).toBeDefined();
    expect(validateConfirm("correct horse", "correct hors")).toMatch(/do not match/);
    expect(validateConfirm("correct horse", "correct horse")).toBeUndefined();
  });

  it("reports every field at once", () => {
    expect(Object.keys(validateSignup({ email: "x", username: "a", password: "short", confirm: "other" })).sort()).toEqual([
      "confirm",
      "email",
      "password",
      "username",
    ]);
    expect(
      validateSignup({ email: "a@example.com", username: "alice", password: "correct horse", confirm: "correct horse" }),
    ).toEqual({});
  });

  it("asks for both log-in fields", () => {
    expect(validateLogin("", "x")).toBeDefined();
    expect(validateLogin("a@example.com", "")).toBeDefined();
    expect(validateLogin("a@example.com", "x")).toBeUndefined();
  });
});
