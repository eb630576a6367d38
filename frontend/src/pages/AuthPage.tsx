import { useState } from "react";
import { LoginForm } from "../components/LoginForm";
import { SignupForm } from "../components/SignupForm";
import { useAuth } from "../hooks/useAuth";
import { useHashRoute } from "../hooks/useHashRoute";

/** The log-in and sign-up forms, one at a time. */
export function AuthPage() {
  const auth = useAuth();
  const [route, go] = useHashRoute();
  const [prefillEmail, setPrefillEmail] = useState("");

  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          <span className="brand-mark">#</span> Chatroom
        </p>
        {route === "signup" ? (
          <>
            <h1>Create your account</h1>
            <p className="auth-lead">Join the conversation in #general.</p>
            <SignupForm
              onSubmit={auth.signup}
              onShowLogin={(email) => {
                setPrefillEmail(email ?? "");
                go("login");
              }}
            />
            <p className="auth-switch">
              Already registered?{" "}
              <a href="#/login" onClick={() => setPrefillEmail("")}>
                Log in
              </a>
            </p>
          </>
        ) : (
          <>
            <h1>Welcome back</h1>
            <p className="auth-lead">Log in to continue to #general.</p>
            <LoginForm key={prefillEmail} initialEmail={prefillEmail} onSubmit={auth.login} />
            <p className="auth-switch">
              New here? <a href="#/signup">Sign up</a>
            </p>
          </>
        )}
      </div>
    </main>
  );
}
