import { useCallback, useEffect, useMemo, useState } from "react";
import type { User } from "../api/types";
import { moderates } from "../chat/permissions";
import { Composer } from "../components/Composer";
import { ConnectionStatus } from "../components/ConnectionStatus";
import { MentionsMenu } from "../components/MentionsMenu";
import { SearchBox } from "../components/SearchBox";
import { SearchResults } from "../components/SearchResults";
import type { MessageActions } from "../components/MessageItem";
import { MessageList, type SavedScroll } from "../components/MessageList";
import { ModerationLog } from "../components/ModerationLog";
import { OnlineList } from "../components/OnlineList";
import { RoomSidebar } from "../components/RoomSidebar";
import { TopList } from "../components/TopList";
import { TypingIndicator } from "../components/TypingIndicator";
import { UserMenu } from "../components/UserMenu";
import { TopWindowSelect, VIEW_PANEL_ID, ViewTabs, viewTabId } from "../components/ViewTabs";
import { useAuth } from "../hooks/useAuth";
import { useConnection } from "../hooks/useConnection";
import { useMentions } from "../hooks/useMentions";
import { useMessageSearch } from "../hooks/useMessageSearch";
import { useNow } from "../hooks/useNow";
import { useRoomKeys } from "../hooks/useRoomKeys";
import { rememberRoom, roomPath, useRoomRoute } from "../hooks/useRoomRoute";
import { useRooms } from "../hooks/useRooms";
import { useRoomView } from "../hooks/useRoomView";
import { useTopFeed } from "../hooks/useTopFeed";
import { followLink } from "../lib/links";

interface ChatPageProps {
  user: User;
  /** Opens the Tokens page (from the user menu). */
  onOpenTokens(): void;
}

export function ChatPage({ user, onOpenTokens }: ChatPageProps) {
  const auth = useAuth();
  const now = useNow();
  const [loggingOut, setLoggingOut] = useState(false);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const connection = useConnection({ onConnectionRefused: auth.refresh, onSessionEnded: auth.sessionEnded });
  const [slug, go, pane] = useRoomRoute();
  const rooms = useRooms({ myId: user.id });
  const { directory, sessions } = rooms;
  const session = sessions.get(slug);
  const chat = useRoomView(session);
  const { state } = chat;
  const top = useTopFeed(session.top, chat.view === "top");
  const search = useMessageSearch(slug);
  const searching = search.status !== "idle";
  const waiting = state.outbox.filter((item) => item.status !== "failed").length;
  const room = rooms.rooms.find((known) => known.slug === slug);
  const moderator = moderates(user.role);
  const { edit, remove, mute } = chat;
  const actions = useMemo<MessageActions>(
    () => ({ room: slug, moderator, edit, remove, mute }),
    [slug, moderator, edit, remove, mute],
  );
  // Where the reader was in each room left, to open it there again.
  const [savedScrolls] = useState(() => new Map<string, SavedScroll>());
  const [savedTopScrolls] = useState(() => new Map<string, number>());

  // The room in view is joined first, before the others the reader is a member of.
  useEffect(() => {
    directory.setCurrent(slug);
    sessions.open(slug);
  }, [directory, sessions, slug]);

  const joined = state.joined;
  useEffect(() => {
    if (joined) rememberRoom(slug);
  }, [joined, slug]);

  useEffect(() => {
    document.title = `#${slug} · Chatroom`;
  }, [slug]);

  const open = useCallback(
    (next: string) => {
      setDrawerOpen(false);
      go(next);
    },
    [go],
  );
  // A search result, a mention or a notification: the room, scrolled to that message.
  const openAt = useCallback(
    (target: string, messageId: number) => {
      setDrawerOpen(false);
      go(target);
      void sessions.get(target).jumpTo(messageId);
    },
    [go, sessions],
  );
  const mentions = useMentions({ myId: user.id, onOpen: openAt });
  const clearSearch = search.clear;
  const openResult = useCallback(
    (messageId: number) => {
      clearSearch();
      openAt(slug, messageId);
    },
    [clearSearch, openAt, slug],
  );

  const order = rooms.rooms.filter((known) => known.member || known.slug === slug).map((known) => known.slug);
  useRoomKeys(order, slug, open);

  // Seeing the newest message is reading the room.
  const reachedBottom = useCallback(() => {
    // Away from the live end, the bottom of the list is not the room's newest message.
    if (session.store.getState().hasNewer) return;
    session.forgetOlder();
    const newest = session.store.getState().messages.at(-1);
    if (newest !== undefined) directory.markRead(slug, newest.id);
  }, [session, directory, slug]);

  useEffect(() => {
    if (!drawerOpen) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === "Escape") setDrawerOpen(false);
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [drawerOpen]);

  return (
    <div className="chat-page">
      <header className="topbar">
        <div className="topbar-title">
          <button
            type="button"
            className="button button-quiet rooms-toggle"
            aria-expanded={drawerOpen}
            aria-controls="room-drawer"
            onClick={() => setDrawerOpen(!drawerOpen)}
          >
            Rooms
            {rooms.rooms.some((known) => known.member && known.slug !== slug && known.unread > 0) && (
              <span className="toggle-dot" aria-hidden="true" />
            )}
          </button>
          <div className="topbar-room">
            <h1 className="topbar-brand">
              <span className="brand-mark" aria-hidden="true">
                #
              </span>{" "}
              {room?.name ?? slug}
            </h1>
            <p className="topbar-details">
              {room !== undefined && room.topic !== "" && <span className="topbar-topic">{room.topic}</span>}
              <a
                className="topbar-log"
                href={roomPath(slug, "moderation")}
                aria-label="Moderation log"
                aria-current={pane === "moderation" ? "page" : undefined}
                onClick={(event) => followLink(event, () => go(slug, "moderation"))}
              >
                {/* Narrow screens show "Log": the header has no room for more. */}
                <span className="topbar-log-long">Moderation log</span>
                <span className="topbar-log-short" aria-hidden="true">
                  Log
                </span>
              </a>
            </p>
          </div>
          <ConnectionStatus state={connection} waiting={waiting} />
        </div>
        <SearchBox key={`search-${slug}`} room={slug} onSearch={(query) => void search.search(query)} onClear={search.clear} />
        <div className="topbar-user">
          <MentionsMenu mentions={mentions} now={now} onOpen={openAt} />
          <UserMenu username={user.username} email={user.email} onTokens={onOpenTokens} />
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
      <div className="chat-body">
        {drawerOpen && <div className="drawer-backdrop" aria-hidden="true" onClick={() => setDrawerOpen(false)} />}
        <aside id="room-drawer" className={drawerOpen ? "sidebar sidebar-open" : "sidebar"}>
          <RoomSidebar
            rooms={rooms.rooms}
            status={rooms.status}
            current={slug}
            onOpen={open}
            onCreate={rooms.create}
            onRetry={() => void directory.reload()}
          />
          <OnlineList online={chat.online} myId={user.id} />
        </aside>
        <main className="chat-main">
          {searching ? (
            <SearchResults
              state={search}
              room={slug}
              now={now}
              onOpen={openResult}
              onLoadMore={() => void search.loadMore()}
              onClose={search.clear}
            />
          ) : pane === "moderation" ? (
            <ModerationLog key={`log-${slug}`} room={slug} now={now} chatHref={roomPath(slug)} onBack={() => go(slug)} />
          ) : (
            <>
              <div className="view-bar">
                <ViewTabs view={chat.view} onChange={chat.setView} />
                {chat.view === "top" && <TopWindowSelect value={top.window} onChange={top.setWindow} />}
              </div>
              <div className="view-panel" role="tabpanel" id={VIEW_PANEL_ID} aria-labelledby={viewTabId(chat.view)}>
                {chat.view === "live" ? (
                  <MessageList
                    key={`timeline-${slug}`}
                    room={slug}
                    messages={state.messages}
                    outbox={state.outbox}
                    hasMore={state.hasMore}
                    joined={state.joined}
                    myId={user.id}
                    username={user.username}
                    now={now}
                    canVote={connection === "connected"}
                    onVote={chat.vote}
                    revealed={chat.revealed}
                    onReveal={chat.reveal}
                    onRetry={chat.retry}
                    actions={actions}
                    loadOlder={chat.loadOlder}
                    onReachedBottom={reachedBottom}
                    savedScroll={savedScrolls.get(slug)}
                    onSaveScroll={(position) => savedScrolls.set(slug, position)}
                    hasNewer={state.hasNewer}
                    loadNewer={chat.loadNewer}
                    onJumpToLatest={chat.returnToLive}
                    focus={chat.focus}
                  />
                ) : (
                  <TopList
                    key={`top-${slug}`}
                    state={top}
                    myId={user.id}
                    username={user.username}
                    now={now}
                    canVote={connection === "connected"}
                    onVote={chat.vote}
                    revealed={chat.revealed}
                    onReveal={chat.reveal}
                    onLoadMore={top.loadMore}
                    onApplyUpdates={top.applyUpdates}
                    onReload={top.reload}
                    savedTop={savedTopScrolls.get(slug)}
                    onSaveTop={(position) => savedTopScrolls.set(slug, position)}
                  />
                )}
              </div>
              {chat.notice !== null && (
                <p className="chat-notice" role="alert">
                  {chat.notice}
                </p>
              )}
              <TypingIndicator typing={chat.typing} />
              <Composer
                key={`composer-${slug}`}
                room={slug}
                onSend={chat.send}
                onTyping={chat.notifyTyping}
                muted={chat.muted}
                now={now}
              />
            </>
          )}
        </main>
      </div>
      <div className="visually-hidden" aria-live="polite" aria-atomic="true">
        {chat.announcement}
      </div>
    </div>
  );
}
