import { useState } from "react";
import type { User } from "../api/types";
import { Composer } from "../components/Composer";
import { ConnectionStatus } from "../components/ConnectionStatus";
import { MessageList } from "../components/MessageList";
import { useAuth } from "../hooks/useAuth";
import { useConnection } from "../hooks/useConnection";
import { useNow } from "../hooks/useNow";
import { useRoom } from "../hooks/useRoom";

export const ROOM = "general";

export function ChatPage({ user }: { user: User }) {
  const auth = useAuth();
  const now = useNow();
  const [loggingOut, setLoggingOut] = useState(false);
  const connection = useConnection({ onConnectionRefused: auth.refresh, onSessionEnded: auth.sessionEnded });
  const chat = useRoom({ room: ROOM, myId: user.id });
  const { state } = chat;
  const waiting = state.outbox.filter((item) => item.status !== "failed").length;

  return (
    <div className="chat-page">
      <header className="topbar">
        <div className="topbar-title">
          <h1 className="topbar-brand">
            <span className="brand-mark" aria-hidden="true">
              #
            </span>{" "}
            general
          </h1>
          <ConnectionStatus state={connection} waiting={waiting} />
        </div>
        <div className="topbar-user">
          <span className="topbar-username" title={user.email}>
            {user.username}
          </span>
          <button
            type="button"
            className="button button-quiet"
            disabled={loggingOut}
            onClick={() => {
              setLoggingOut(true);
              void auth.logout().catch(() => setLoggingOut(false));
            }}
          >
            Log out
          </button>
        </div>
      </header>
      <main className="chat-main">
        <MessageList
          messages={state.messages}
          outbox={state.outbox}
          hasMore={state.hasMore}
          joined={state.joined}
          myId={user.id}
          username={user.username}
          now={now}
          canVote={connection === "connected"}
          onVote={chat.vote}
          onRetry={chat.retry}
          loadOlder={chat.loadOlder}
          onReachedBottom={chat.forgetOlder}
        />
        {chat.notice !== null && (
          <p className="chat-notice" role="alert">
            {chat.notice}
          </p>
        )}
        <Composer onSend={chat.send} />
      </main>
      <div className="visually-hidden" aria-live="polite" aria-atomic="true">
        {chat.announcement}
      </div>
    </div>
  );
}
