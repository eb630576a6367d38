import { useAuth } from "./hooks/useAuth";
import { AuthPage } from "./pages/AuthPage";
import { ChatPage } from "./pages/ChatPage";

export function App() {
  const { status, user, refresh } = useAuth();
  if (status === "loading") {
    return (
      <main className="splash">
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (status === "unreachable") {
    return (
      <main className="splash">
        <p role="alert">Cannot reach the server.</p>
        <button type="button" className="button button-primary" onClick={() => void refresh()}>
          Try again
        </button>
      </main>
    );
  }
  if (status === "authenticated" && user !== null) return <ChatPage key={user.id} user={user} />;
  return <AuthPage />;
}
