import { useCallback, useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from "react";
import type { BatchEvent, FailedAck, HistoryAck, JoinAck, Message, SendAck, VoteAck, VoteEvent } from "../api/types";
import { useSocket } from "../socket/SocketContext";
import type { AckCallback } from "../socket/socket";
import { createChatStore, type ChatState } from "./chatState";

/** How long to wait for an ack before calling a request failed. */
export const ACK_TIMEOUT_MS = 10_000;
const REJOIN_DELAY_MS = 1_000;
/** A gap in the room's seq numbers open this long means a broadcast was lost: catch up. */
export const GAP_TIMEOUT_MS = 1_000;

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "offline";

export interface UseChatOptions {
  room: string;
  /** The reader's user id, to tell our own messages from others'. */
  myId: number;
  /**
   * Called when the server refuses or ends the connection. Resolves to whether the session is
   * still valid; when it is, the hook connects again.
   */
  onConnectionRefused?: () => Promise<boolean>;
  /** Called on `session_ended`: the person was logged out elsewhere. */
  onSessionEnded?: () => void;
  /** Makes client ids; tests pass a predictable one. */
  makeClientId?: () => string;
}

export interface UseChatResult {
  state: ChatState;
  connection: ConnectionState;
  /** The newest message from someone else, for the aria-live region. */
  announcement: string;
  /** A problem to show near the composer (a refused vote, a failed page load). */
  notice: string | null;
  send(body: string): void;
  retry(clientId: string): void;
  vote(messageId: number, direction: "upvote" | "downvote"): void;
  loadOlder(): Promise<void>;
}

function isFailed(response: unknown): response is FailedAck {
  return typeof response === "object" && response !== null && (response as { ok?: unknown }).ok !== true;
}

function failureMessage(response: unknown): string {
  if (isFailed(response) && typeof response.error?.message === "string") return response.error.message;
  return "The server refused the request.";
}

/**
 * Joins a room over the tab's socket and keeps its timeline: history, live messages and votes,
 * catch-up after every reconnect (join with after_seq = watermark) and the offline outbox.
 */
export function useChat({ room, myId, onConnectionRefused, onSessionEnded, makeClientId }: UseChatOptions): UseChatResult {
  const socket = useSocket();
  const [store] = useState(() => createChatStore(myId));
  const state = useSyncExternalStore(store.subscribe, store.getState, store.getState);
  const [connection, setConnection] = useState<ConnectionState>(socket.connected ? "connected" : "connecting");
  const [announcement, setAnnouncement] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const loadingOlder = useRef(false);
  const callbacks = useRef({ onConnectionRefused, onSessionEnded });
  useLayoutEffect(() => {
    callbacks.current = { onConnectionRefused, onSessionEnded };
  });
  const newClientId = useRef(makeClientId ?? (() => crypto.randomUUID()));

  const emitSend = useCallback(
    (clientId: string, body: string) => {
      const ack: AckCallback = (err, response) => {
        if (err !== null) {
          // A dropped connection is not the message's fault: it waits in the outbox for the
          // next connect. A connection that stayed up without answering is a failure.
          if (!socket.connected) store.dispatch({ type: "send_interrupted", clientId });
          else store.dispatch({ type: "send_failed", clientId, error: "No answer from the server." });
          return;
        }
        if (isFailed(response)) {
          store.dispatch({ type: "send_failed", clientId, error: failureMessage(response) });
          return;
        }
        store.dispatch({ type: "send_acked", clientId, message: (response as SendAck).message });
      };
      socket.timeout(ACK_TIMEOUT_MS).emit("data", { room, body, client_id: clientId }, ack);
    },
    [socket, store, room],
  );

  useEffect(() => {
    let disposed = false;
    let rejoinTimer: ReturnType<typeof setTimeout> | undefined;
    let gapTimer: ReturnType<typeof setTimeout> | undefined;
    let joining = false;

    const flushOutbox = () => {
      const queued = store.getState().outbox.filter((item) => item.status === "queued");
      if (queued.length === 0) return;
      store.dispatch({ type: "outbox_flushing", clientIds: queued.map((item) => item.clientId) });
      for (const item of queued) emitSend(item.clientId, item.body);
    };

    const join = () => {
      const { watermark } = store.getState();
      const payload = watermark === null ? { room } : { room, after_seq: watermark };
      joining = true;
      socket.timeout(ACK_TIMEOUT_MS).emit("join", payload, (err, response) => {
        joining = false;
        if (disposed) return;
        if (err !== null) {
          if (socket.connected) rejoinTimer = setTimeout(join, REJOIN_DELAY_MS);
          return;
        }
        if (isFailed(response)) {
          setNotice(`Could not join the room: ${failureMessage(response)}`);
          return;
        }
        const ack = response as JoinAck;
        store.dispatch({
          type: "joined",
          messages: ack.messages,
          seq: ack.seq,
          hasMore: ack.has_more,
          replace: watermark === null || ack.reset === true,
        });
        flushOutbox();
      });
    };

    // A broadcast that arrived ahead of a missing seq leaves a gap; if nothing fills it soon,
    // the missing change was lost on the way and a join with after_seq fetches it.
    const watchGaps = () => {
      const { seenAbove, watermark } = store.getState();
      if (seenAbove.length === 0 || watermark === null) {
        clearTimeout(gapTimer);
        gapTimer = undefined;
        return;
      }
      if (gapTimer !== undefined) return;
      gapTimer = setTimeout(() => {
        gapTimer = undefined;
        if (disposed || !socket.connected || joining) return;
        if (store.getState().seenAbove.length > 0) join();
      }, GAP_TIMEOUT_MS);
    };
    const unsubscribe = store.subscribe(watchGaps);

    const checkSession = () => {
      const check = callbacks.current.onConnectionRefused;
      if (check === undefined) return;
      void check().then((stillValid) => {
        if (stillValid && !disposed) rejoinTimer = setTimeout(() => socket.connect(), REJOIN_DELAY_MS);
      });
    };

    const onConnect = () => {
      setConnection("connected");
      join();
    };
    const onDisconnect = (reason: string) => {
      store.dispatch({ type: "left" });
      if (reason === "io client disconnect") {
        setConnection("offline");
        return;
      }
      setConnection("reconnecting");
      // The server closed this socket on purpose; socket.io-client will not reconnect by itself.
      if (reason === "io server disconnect") checkSession();
    };
    const onConnectError = () => {
      setConnection((current) => (current === "connecting" ? "connecting" : "reconnecting"));
      if (!socket.active) checkSession();
    };
    const onData = (message: Message) => {
      if (message.room !== undefined && message.room !== room) return;
      const before = store.getState();
      const known = before.messages.some((held) => held.id === message.id);
      store.dispatch({ type: "message_received", message });
      if (!known && message.author.id !== myId) {
        setAnnouncement(`${message.author.username}: ${message.body.slice(0, 200)}`);
      }
    };
    const onVote = (event: VoteEvent) => {
      if (event.room !== undefined && event.room !== room) return;
      store.dispatch({ type: "vote_received", totals: event });
    };
    // A batch is exactly its entries received one by one.
    const onBatch = (batch: BatchEvent) => {
      if (batch.room !== undefined && batch.room !== room) return;
      for (const message of batch.data ?? []) onData(message);
      for (const totals of batch.vote ?? []) onVote(totals);
      if (batch.covers !== undefined && batch.covers.length > 0) {
        store.dispatch({ type: "seqs_covered", ranges: batch.covers });
      }
    };
    const onSessionEndedEvent = () => callbacks.current.onSessionEnded?.();

    socket.on("connect", onConnect);
    socket.on("disconnect", onDisconnect);
    socket.on("connect_error", onConnectError);
    socket.on("data", onData);
    socket.on("vote", onVote);
    socket.on("batch", onBatch);
    socket.on("session_ended", onSessionEndedEvent);
    if (socket.connected) onConnect();
    else socket.connect();

    return () => {
      disposed = true;
      unsubscribe();
      clearTimeout(rejoinTimer);
      clearTimeout(gapTimer);
      socket.off("connect", onConnect);
      socket.off("disconnect", onDisconnect);
      socket.off("connect_error", onConnectError);
      socket.off("data", onData);
      socket.off("vote", onVote);
      socket.off("batch", onBatch);
      socket.off("session_ended", onSessionEndedEvent);
      socket.disconnect();
    };
  }, [socket, store, room, myId, emitSend]);

  const send = useCallback(
    (body: string) => {
      const trimmed = body.trim();
      if (trimmed === "") return;
      const clientId = newClientId.current();
      const online = socket.connected;
      store.dispatch({ type: "send_started", clientId, body: trimmed, createdAt: new Date().toISOString(), online });
      if (online) emitSend(clientId, trimmed);
    },
    [socket, store, emitSend],
  );

  const retry = useCallback(
    (clientId: string) => {
      const item = store.getState().outbox.find((entry) => entry.clientId === clientId);
      if (item === undefined) return;
      const online = socket.connected;
      // Same client_id: if the first attempt did reach the server, this returns that message.
      store.dispatch({ type: "send_started", clientId, body: item.body, createdAt: item.createdAt, online });
      if (online) emitSend(clientId, item.body);
    },
    [socket, store, emitSend],
  );

  const vote = useCallback(
    (messageId: number, direction: "upvote" | "downvote") => {
      if (!socket.connected) {
        setNotice("You are offline; votes are sent once you are back.");
        return;
      }
      socket.timeout(ACK_TIMEOUT_MS).emit(direction, { message_id: messageId }, (err, response) => {
        if (err !== null) {
          setNotice("The vote was not counted: no answer from the server.");
          return;
        }
        if (isFailed(response)) {
          setNotice(`The vote was not counted: ${failureMessage(response)}`);
          return;
        }
        setNotice(null);
        store.dispatch({ type: "vote_acked", ack: response as VoteAck });
      });
    },
    [socket, store],
  );

  const loadOlder = useCallback(
    () =>
      new Promise<void>((resolve) => {
        const { messages, hasMore } = store.getState();
        const oldest = messages[0];
        if (loadingOlder.current || !hasMore || oldest === undefined || !socket.connected) {
          resolve();
          return;
        }
        loadingOlder.current = true;
        socket.timeout(ACK_TIMEOUT_MS).emit("get_previous_messages", { room, before: oldest.id }, (err, response) => {
          loadingOlder.current = false;
          if (err !== null || isFailed(response)) {
            setNotice("Older messages could not be loaded.");
          } else {
            const page = response as HistoryAck;
            store.dispatch({ type: "older_loaded", messages: page.messages, hasMore: page.has_more });
          }
          resolve();
        });
      }),
    [socket, store, room],
  );

  return { state, connection, announcement, notice, send, retry, vote, loadOlder };
}
