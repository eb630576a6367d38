import { useAuth } from "./hooks/useAuth";
import { usePage } from "./hooks/usePage";
import { AuthPage } from "./pages/AuthPage";
import { ChatPage } from "./pages/ChatPage";
import { TokensPage } from "./pages/TokensPage";

export function App() {
  const { status, user, refresh } = useAuth();
  const [page, go] = usePage();
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
  if (status === "authenticated" && user !== null) {
    if (page === "tokens") return <TokensPage key={user.id} user={user} onBack={() => go("chat")} />;
    return <ChatPage key={user.id} user={user} onOpenTokens={() => go("tokens")} />;
  }
  return <AuthPage />;
}
