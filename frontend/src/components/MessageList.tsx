import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { Message } from "../api/types";
import type { MessageFocus } from "../chat/roomSession";
import type { OutgoingMessage } from "../chat/timeline";
import { MessageItem, OutgoingItem, type MessageActions } from "./MessageItem";

interface MessageListProps {
  messages: Message[];
  outbox: OutgoingMessage[];
  hasMore: boolean;
  joined: boolean;
  myId: number;
  username: string;
  now: number;
  canVote: boolean;
  onVote(messageId: number, direction: "upvote" | "downvote"): void;
  /** The collapsed messages the reader opened, and how they open one. */
  revealed?: ReadonlySet<number>;
  onReveal?(messageId: number): void;
  onRetry(clientId: string): void;
  /** Edit, delete and mute, as the reader may; without it the list is read-only but for votes. */
  actions?: MessageActions;
  loadOlder(): Promise<void>;
  /** The reader is at the newest messages (the room may forget far older ones then). */
  onReachedBottom?(): void;
  /** The room's slug, for the line at the start of its history. */
  room?: string;
  /** Where the reader was when this room was last shown; the list opens there. */
  savedScroll?: SavedScroll;
  /** Called as the list goes away, with where the reader was. */
  onSaveScroll?(position: SavedScroll): void;
  /** Newer messages exist that are not held: the room was opened at an older message. */
  hasNewer?: boolean;
  loadNewer?(): Promise<void>;
  /** Takes the room back to its newest messages. */
  onJumpToLatest?(): void;
  /** A message to bring into sight and highlight briefly. */
  focus?: MessageFocus | null;
}

/** How long a message opened from a search or a mention stays highlighted. */
export const FLASH_MS = 3_000;

/** Where a reader was in a room's list, to come back to it. */
export interface SavedScroll {
  top: number;
  atBottom: boolean;
  /** The newest message held then: anything newer arrived while the reader was away. */
  lastId: number | null;
}

/** How close to an edge (in px) counts as being at it. */
const EDGE = 64;

/** Messages per memoised chunk of the list. */
const CHUNK_SIZE = 100;

interface MessageChunkProps {
  messages: Message[];
  myId: number;
  me: string;
  /** The message to highlight briefly, or null. */
  flashId: number | null;
  now: number;
  canVote: boolean;
  onVote(messageId: number, direction: "upvote" | "downvote"): void;
  revealed: ReadonlySet<number>;
  onReveal?(messageId: number): void;
  actions: MessageActions | undefined;
}

const NONE_REVEALED: ReadonlySet<number> = new Set();

function sameChunk(before: MessageChunkProps, after: MessageChunkProps): boolean {
  return (
    before.myId === after.myId &&
    before.me === after.me &&
    before.flashId === after.flashId &&
    before.now === after.now &&
    before.canVote === after.canVote &&
    before.onVote === after.onVote &&
    before.revealed === after.revealed &&
    before.onReveal === after.onReveal &&
    before.actions === after.actions &&
    before.messages.length === after.messages.length &&
    before.messages.every((message, index) => message === after.messages[index])
  );
}

/**
 * A run of consecutive messages that re-renders only when one of them changed: with
 * thousands held, news about one message costs one chunk, not the whole list.
 */
const MessageChunk = memo(function MessageChunk({ messages, myId, me, flashId, now, canVote, onVote, revealed, onReveal, actions }: MessageChunkProps) {
  return messages.map((message) => (
    <MessageItem
      key={`m-${message.id}`}
      message={message}
      mine={message.author.id === myId}
      now={now}
      canVote={canVote}
      onVote={onVote}
      revealed={revealed.has(message.id)}
      onReveal={onReveal}
      actions={actions}
      me={me}
      flash={message.id === flashId}
    />
  ));
}, sameChunk);

/**
 * The scrolling timeline. Opens at the bottom, follows new messages while the reader is at
 * the bottom, shows a "New messages" pill instead of jumping when they are scrolled up, and
 * loads older pages at the top while keeping the visible messages where they were.
 * Rows are memoised, and the room keeps a bounded number of messages while the reader
 * is at the bottom (docs/architecture.md, "The web client").
 */
export function MessageList(props: MessageListProps) {
  const { messages, outbox, hasMore, joined, myId, username, now, canVote, onVote, onRetry, actions, loadOlder, onReachedBottom } = props;
  const { room = "general", savedScroll, onSaveScroll, revealed = NONE_REVEALED, onReveal } = props;
  const { hasNewer = false, loadNewer, onJumpToLatest, focus = null } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(savedScroll?.atBottom ?? true);
  const scrollTop = useRef(0);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const loading = useRef(false);
  const [showPill, setShowPill] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [loadingNewer, setLoadingNewer] = useState(false);
  const loadingNewerRef = useRef(false);
  const [flashId, setFlashId] = useState<number | null>(null);
  const focusedSerial = useRef<number | null>(null);
  /** The reader asked for the live end: follow the latest page when it comes. */
  const followLatest = useRef(false);

  const chunks = useMemo(() => {
    const cut: Message[][] = [];
    for (let start = 0; start < messages.length; start += CHUNK_SIZE) cut.push(messages.slice(start, start + CHUNK_SIZE));
    return cut;
  }, [messages]);

  const firstId = messages[0]?.id ?? null;
  const lastMessage = messages[messages.length - 1];
  const lastId = lastMessage?.id ?? null;
  const lastIsMine = lastMessage?.author.id === myId;
  const outboxSize = outbox.length;
  const seen = useRef(
    savedScroll === undefined
      ? { lastId: null as number | null, outboxSize: 0, away: hasNewer }
      : { lastId: savedScroll.lastId, outboxSize, away: hasNewer },
  );
  const latestId = useRef(lastId);
  latestId.current = lastId;

  const scrollToBottom = useCallback(() => {
    const element = scroller.current;
    if (element === null) return;
    element.scrollTop = element.scrollHeight;
    scrollTop.current = element.scrollTop;
    atBottom.current = true;
    setShowPill(false);
    if (!hasNewer) onReachedBottom?.();
  }, [onReachedBottom, hasNewer]);

  const requestNewer = useCallback(() => {
    if (loadingNewerRef.current || !hasNewer || loadNewer === undefined) return;
    loadingNewerRef.current = true;
    setLoadingNewer(true);
    void loadNewer().finally(() => {
      loadingNewerRef.current = false;
      setLoadingNewer(false);
    });
  }, [hasNewer, loadNewer]);

  const jumpToLatest = () => {
    if (!hasNewer) {
      scrollToBottom();
      return;
    }
    followLatest.current = true;
    onJumpToLatest?.();
  };

  const requestOlder = useCallback(() => {
    const element = scroller.current;
    if (element === null || loading.current || !hasMore) return;
    loading.current = true;
    setLoadingOlder(true);
    anchor.current = { height: element.scrollHeight, top: element.scrollTop };
    void loadOlder().finally(() => {
      loading.current = false;
      setLoadingOlder(false);
    });
  }, [hasMore, loadOlder]);

  // Back in a room: open where the reader left it (news that came meanwhile then shows the
  // pill, or is followed when they were at the bottom). Declared first, so it runs before the
  // effect that follows new messages. On the way out, say where the reader was.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (element !== null && savedScroll !== undefined) {
      if (savedScroll.atBottom) scrollToBottom();
      else element.scrollTop = savedScroll.top;
      scrollTop.current = element.scrollTop;
    }
    return () => onSaveScroll?.({ top: scrollTop.current, atBottom: atBottom.current, lastId: latestId.current });
    // Only on mount and unmount: the saved position is where the list starts.
    // oxlint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Older messages were put above: shift the view by what was added so nothing moves.
  useLayoutEffect(() => {
    const element = scroller.current;
    const saved = anchor.current;
    if (element === null || saved === null || firstId === null) return;
    anchor.current = null;
    element.scrollTop = saved.top + (element.scrollHeight - saved.height);
  }, [firstId]);

  // Something arrived at the bottom: follow it when the reader is there or wrote it,
  // otherwise offer the pill rather than moving the view.
  // Away from the live end (the room opened at an older message), pages of newer messages come
  // in below the reader without moving the view, until they ask for the live end.
  useLayoutEffect(() => {
    const before = seen.current;
    seen.current = { lastId, outboxSize, away: hasNewer };
    if (hasNewer) return;
    if (before.away) {
      if (followLatest.current || outboxSize > before.outboxSize) {
        followLatest.current = false;
        scrollToBottom();
      }
      return;
    }
    const wrote = outboxSize > before.outboxSize;
    const arrived = lastId !== null && (before.lastId === null || lastId > before.lastId);
    if (!wrote && !arrived) return;
    if (wrote || atBottom.current || lastIsMine) scrollToBottom();
    else setShowPill(true);
  }, [lastId, lastIsMine, outboxSize, scrollToBottom, hasNewer]);

  // A message opened from a search or a mention: into sight, and highlighted for a moment.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (element === null || focus === null || focusedSerial.current === focus.serial) return;
    const row = element.querySelector<HTMLElement>(`[data-message-id="${focus.id}"]`);
    if (row === null) return;
    focusedSerial.current = focus.serial;
    // jsdom has no layout, hence no scrollIntoView.
    row.scrollIntoView?.({ block: "center" });
    scrollTop.current = element.scrollTop;
    atBottom.current = !hasNewer && element.scrollHeight - element.scrollTop - element.clientHeight < EDGE;
    setFlashId(focus.id);
  }, [focus, messages, hasNewer]);

  useEffect(() => {
    if (flashId === null) return;
    const timer = setTimeout(() => setFlashId(null), FLASH_MS);
    return () => clearTimeout(timer);
  }, [flashId]);

  // A short first page leaves nothing to scroll: keep loading until the view can scroll.
  useEffect(() => {
    const element = scroller.current;
    if (element === null || !joined || !hasMore || loading.current || messages.length === 0) return;
    if (element.scrollHeight <= element.clientHeight) requestOlder();
  }, [joined, hasMore, messages.length, requestOlder]);

  const onScroll = () => {
    const element = scroller.current;
    if (element === null) return;
    scrollTop.current = element.scrollTop;
    atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < EDGE;
    if (atBottom.current) {
      setShowPill(false);
      if (hasNewer) requestNewer();
      else onReachedBottom?.();
    }
    if (element.scrollTop < EDGE) requestOlder();
  };

  return (
    <div className="timeline">
      {/* A scrollable region must be reachable from the keyboard to scroll it with the arrow keys. */}
      {/* oxlint-disable-next-line jsx-a11y/no-noninteractive-tabindex */}
      <div className="timeline-scroller" ref={scroller} onScroll={onScroll} tabIndex={0} role="region" aria-label="Message history">
        <div className="timeline-top">
          {hasMore ? (
            <button type="button" className="link-button" onClick={requestOlder} disabled={loadingOlder}>
              {loadingOlder ? "Loading older messages…" : "Load older messages"}
            </button>
          ) : joined ? (
            <p className="timeline-start">This is the beginning of #{room}.</p>
          ) : null}
        </div>
        <ol className="messages" aria-label="Messages">
          {chunks.map((chunk, index) => (
            <MessageChunk
              key={index}
              messages={chunk}
              myId={myId}
              me={username}
              flashId={flashId}
              now={now}
              canVote={canVote}
              onVote={onVote}
              revealed={revealed}
              onReveal={onReveal}
              actions={actions}
            />
          ))}
          {outbox.map((item) => (
            <OutgoingItem key={`c-${item.clientId}`} item={item} username={username} now={now} onRetry={onRetry} />
          ))}
        </ol>
        {hasNewer && (
          <div className="timeline-bottom">
            <button type="button" className="link-button" onClick={requestNewer} disabled={loadingNewer}>
              {loadingNewer ? "Loading newer messages…" : "Load newer messages"}
            </button>
          </div>
        )}
      </div>
      {hasNewer ? (
        <button type="button" className="pill" onClick={jumpToLatest}>
          Jump to latest ↓
        </button>
      ) : (
        showPill && (
          <button type="button" className="pill" onClick={scrollToBottom}>
            New messages ↓
          </button>
        )
      )}
    </div>
  );
}
