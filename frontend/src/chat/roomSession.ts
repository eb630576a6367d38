import type {
  BatchEvent,
  HistoryAck,
  Message,
  MessageAck,
  MutedEvent,
  SendAck,
  UnmutedEvent,
  VoteAck,
  VoteEvent,
} from "../api/types";
import type { OnlineUser, PresenceEvent, RoomJoinAck, TypingEvent } from "../api/rooms";
import { TYPING_INTERVAL_SECONDS, TYPING_SHOW_SECONDS } from "../api/generated";
import { ApiError } from "../api/client";
import { fetchAround, type AroundPage } from "../api/search";
import { Observable } from "../lib/observable";
import { listen, type AckCallback, type ChatSocket } from "../socket/socket";
import { ACK_TIMEOUT_MS, failureCode, failureMessage, isFailed } from "./acks";
import { createChatStore, findMessage, type ChatStore } from "./timeline";
import { TopFeed } from "./topFeed";

export { ACK_TIMEOUT_MS };
const REJOIN_DELAY_MS = 1_000;
const RATE_LIMITED_REJOIN_DELAY_MS = 5_000;
/** A gap in the room's seq numbers open this long means a broadcast was lost: catch up. */
export const GAP_TIMEOUT_MS = 1_000;
/** How many messages a room keeps while the reader follows its newest ones. */
export const KEPT_AT_BOTTOM = 1_000;
/**
 * How far past KEPT_AT_BOTTOM a room grows before it forgets: forgetting shifts every row of
 * the list, so it happens in steps, not once per new message.
 */
export const FORGET_STEP = 250;
/** The composer says the reader is typing at most this often (the server drops the rest). */
export const TYPING_SEND_INTERVAL_MS = TYPING_INTERVAL_SECONDS * 1_000;
/** How long someone shows as typing after their last `typing` broadcast. */
export const TYPING_SHOWN_MS = TYPING_SHOW_SECONDS * 1_000;

export type VoteDirection = "upvote" | "downvote";

/** How a room is shown: in the order of writing, or ranked by votes. */
export type RoomViewMode = "live" | "top";
/** How a request the person is waiting on ended: the server's message when it was refused. */
export type Outcome = { ok: true } | { ok: false; error: string };

/** The reader may not send in this room for now (docs/protocol.md, `mute`). */
export interface Mute {
  /** When the mute ends (ISO), or null when the server's refusal did not say. */
  until: string | null;
  /** The moderator's reason, when known. */
  reason: string;
}

/**
 * A refusal of `data` with the code `muted` says until when in its message; without a time in
 * it, the composer opens again after this long, and the server refuses again if need be.
 */
export const UNKNOWN_MUTE_MS = 60_000;
/** setTimeout cannot wait longer than this (about 24.8 days); a mute may last 30. */
const MAX_TIMER_MS = 2_147_483_647;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/;

/** What a room shows besides its timeline. */
export interface RoomNotices {
  /** The newest message from someone else, for the aria-live region. */
  announcement: string;
  /** A problem to show near the composer (a refused vote, a failed page load). */
  notice: string | null;
}

export interface RoomSessionOptions {
  socket: ChatSocket;
  room: string;
  /** The reader's user id, to tell our own messages from others'. */
  myId: number;
  /** Makes client ids; tests pass a predictable one. */
  makeClientId?: () => string;
  /** Called after each successful join (the reader is then a member of the room). */
  onJoined?: (ack: RoomJoinAck) => void;
  /** Fetches the messages around one (GET .../messages?around=); tests pass a fake. */
  loadAround?: (room: string, messageId: number) => Promise<AroundPage>;
}

/**
 * The message the view should bring into sight and highlight: set when the reader opens the
 * room at a message. `serial` tells two openings of the same message apart.
 */
export interface MessageFocus {
  id: number;
  serial: number;
}

/**
 * One joined room over the tab's shared socket: joins on every connect (with
 * after_seq = watermark after the first), re-joins when a seq gap stays open, keeps the
 * timeline in its store and sends the outbox once a join has caught up.
 *
 * It owns nothing of the connection itself (see Connection), so several sessions, one per
 * open room, can share the socket; each ignores broadcasts for other rooms. `start` and
 * `close` may alternate; the timeline survives them.
 */
export class RoomSession {
  readonly store: ChatStore;
  readonly notices = new Observable<RoomNotices>({ announcement: "", notice: null });
  /** The people online in the room, from the join ack and then `presence`. */
  readonly online = new Observable<OnlineUser[]>([]);
  /** The others typing now, oldest first; each drops out TYPING_SHOWN_MS after their last `typing`. */
  readonly typing = new Observable<OnlineUser[]>([]);
  /** Which view of the room the reader chose; kept while the page lives, like the timeline. */
  readonly view = new Observable<RoomViewMode>("live");
  /** The collapsed messages the reader opened with Show, in either view. */
  readonly revealed = new Observable<ReadonlySet<number>>(new Set());
  /** The room ranked by votes; it gets the same news as the timeline. */
  readonly top: TopFeed;
  /** The reader's mute in this room, from `muted`/`unmuted` and refused sends; null when free. */
  readonly muted = new Observable<Mute | null>(null);
  /** The message opened from a search result or a mention, to scroll to and highlight. */
  readonly focus = new Observable<MessageFocus | null>(null);
  readonly room: string;
  private readonly socket: ChatSocket;
  private readonly myId: number;
  private readonly makeClientId: () => string;
  private readonly onJoined: ((ack: RoomJoinAck) => void) | undefined;
  private readonly typingTimers = new Map<number, ReturnType<typeof setTimeout>>();
  private lastTypingSent = -Infinity;
  private stop: (() => void) | null = null;
  private rejoinTimer: ReturnType<typeof setTimeout> | undefined;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private joining = false;
  /** The last join was refused: its notice goes once a join succeeds. */
  private joinFailed = false;
  private loadingOlder = false;
  private muteTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly loadAround: (room: string, messageId: number) => Promise<AroundPage>;
  private loadingNewer = false;
  /** Counts jumps, so an answer to an earlier one that comes late is dropped. */
  private jumps = 0;
  /** The reader asked for the live end while away from it; the next join brings the latest page. */
  private wantLive = false;

  constructor({ socket, room, myId, makeClientId, onJoined, loadAround }: RoomSessionOptions) {
    this.socket = socket;
    this.loadAround = loadAround ?? ((slug, id) => fetchAround(slug, id));
    this.onJoined = onJoined;
    this.room = room;
    this.myId = myId;
    this.makeClientId = makeClientId ?? (() => crypto.randomUUID());
    this.store = createChatStore(myId);
    this.top = new TopFeed({ socket, room, lookup: (id) => findMessage(this.store.getState().messages, id) });
  }

  /** Listens to the socket and joins now if it is connected (else on its next connect). */
  start(): void {
    if (this.stop !== null) return;
    const unlisten = listen(this.socket, {
      connect: () => {
        this.join();
        this.top.connected();
      },
      disconnect: () => this.store.dispatch({ type: "left" }),
      data: (message: Message) => this.receive({ room: message.room, data: [message], vote: [] }),
      update: (message: Message) => this.receive({ room: message.room, data: [], vote: [], update: [message] }),
      vote: (totals: VoteEvent) => this.receive({ room: totals.room, data: [], vote: [totals] }),
      batch: (batch: BatchEvent) => this.receive(batch),
      muted: (event: MutedEvent) => {
        if (event.room === this.room) this.setMute({ until: event.until, reason: event.reason });
      },
      unmuted: (event: UnmutedEvent) => {
        if (event.room === this.room) this.setMute(null);
      },
      presence: (event: PresenceEvent) => {
        if (event.room === this.room) this.online.set(event.online);
      },
      typing: (event: TypingEvent) => {
        if (event.room === this.room && event.user.id !== this.myId) this.showTyping(event.user);
      },
    });
    const unwatch = this.store.subscribe(() => this.watchGaps());
    // A mute held while the session was closed may have run out meanwhile.
    this.setMute(this.muted.get());
    this.stop = () => {
      unlisten();
      unwatch();
      clearTimeout(this.rejoinTimer);
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
      clearTimeout(this.muteTimer);
      for (const timer of this.typingTimers.values()) clearTimeout(timer);
      this.typingTimers.clear();
      this.typing.set([]);
    };
    if (this.socket.connected) this.join();
  }

  /** Stops listening; the socket stays open for the tab's other rooms. */
  close(): void {
    this.stop?.();
    this.stop = null;
  }

  private get live(): boolean {
    return this.stop !== null;
  }

  readonly setView = (view: RoomViewMode): void => {
    this.view.set(view);
  };

  /** Opens a collapsed message for this reader. */
  readonly reveal = (messageId: number): void => {
    const shown = this.revealed.get();
    if (!shown.has(messageId)) this.revealed.set(new Set([...shown, messageId]));
  };

  readonly send = (body: string): void => {
    const trimmed = body.trim();
    if (trimmed === "") return;
    // A message goes at the live end: the reader who writes while reading old history is taken there.
    this.returnToLive();
    this.startSend(this.makeClientId(), trimmed, new Date().toISOString());
  }

  /**
   * Opens the room at `messageId`: brings it into sight and highlights it. A message already
   * held is shown where it is; otherwise the page around it replaces what is held and the view
   * leaves the live end (`hasNewer`) until the reader returns there.
   */
  readonly jumpTo = async (messageId: number): Promise<Outcome> => {
    const jump = ++this.jumps;
    this.wantLive = false;
    this.view.set("live");
    if (findMessage(this.store.getState().messages, messageId) !== undefined) {
      this.focus.set({ id: messageId, serial: jump });
      return { ok: true };
    }
    let page: AroundPage;
    try {
      page = await this.loadAround(this.room, messageId);
    } catch (error) {
      const message = error instanceof ApiError && error.status === 404 ? "That message is not in this room any more." : "The message could not be loaded.";
      if (jump === this.jumps) this.setNotice(message);
      return { ok: false, error: message };
    }
    if (jump !== this.jumps) return { ok: false, error: "Another message was opened meanwhile." };
    this.setNotice(null);
    this.store.dispatch({ type: "jumped", messages: page.messages, hasMore: page.has_more, hasNewer: page.has_newer });
    this.focus.set({ id: messageId, serial: jump });
    return { ok: true };
  }

  /** Away from the live end: loads the messages after the last held one. */
  readonly loadNewer = async (): Promise<void> => {
    const { messages, hasNewer } = this.store.getState();
    const last = messages[messages.length - 1];
    if (this.loadingNewer || !hasNewer || last === undefined) return;
    this.loadingNewer = true;
    const jump = this.jumps;
    try {
      const page = await this.loadAround(this.room, last.id);
      if (jump === this.jumps) this.store.dispatch({ type: "newer_loaded", messages: page.messages, hasNewer: page.has_newer });
    } catch {
      this.setNotice("Newer messages could not be loaded.");
    } finally {
      this.loadingNewer = false;
    }
  }

  /**
   * Back to the live end: a join without `after_seq` brings the latest page and the room's
   * seq, as a first join does; what arrived meanwhile is in it or comes in the catch-up that
   * follows when the held watermark was already past that seq.
   */
  readonly returnToLive = (): void => {
    if (!this.store.getState().hasNewer) return;
    this.jumps += 1;
    this.wantLive = true;
    this.focus.set(null);
    if (this.live && this.socket.connected && !this.joining) this.join();
  }

  /** Sends a failed message again with the same client_id: if it did land, the server returns it. */
  readonly retry = (clientId: string): void => {
    const item = this.store.getState().outbox.find((entry) => entry.clientId === clientId);
    if (item !== undefined) this.startSend(clientId, item.body, item.createdAt);
  }

  /**
   * A vote is a toggle and carries no client id, so one whose fate is unknown must not be
   * replayed (docs/protocol.md): while offline it is refused here, not queued.
   */
  readonly vote = (messageId: number, direction: VoteDirection): void => {
    if (!this.socket.connected) {
      this.setNotice("You are offline: the vote was not sent. Vote again once you are back.");
      return;
    }
    this.socket.timeout(ACK_TIMEOUT_MS).emit(direction, { message_id: messageId }, (err, response) => {
      if (err !== null) {
        this.setNotice("The vote was not counted: no answer from the server.");
        return;
      }
      if (isFailed(response)) {
        this.setNotice(`The vote was not counted: ${failureMessage(response)}`);
        return;
      }
      this.setNotice(null);
      const ack = response as VoteAck;
      this.store.dispatch({ type: "vote_acked", ack });
      this.top.noteTotals([ack], ack.my_vote);
    });
  }

  /** Replaces the body of one of the reader's messages; the ack brings it in its new state. */
  readonly edit = (messageId: number, body: string): Promise<Outcome> => {
    return this.request("edit", { message_id: messageId, body }, "The change was not saved");
  }

  /**
   * Deletes a message, leaving its tombstone. A moderator deleting someone else's message
   * gives a reason (the server refuses it without one).
   */
  readonly remove = (messageId: number, reason?: string): Promise<Outcome> => {
    const payload = reason === undefined ? { message_id: messageId } : { message_id: messageId, reason };
    return this.request("delete", payload, "The message was not deleted");
  }

  /** Mutes someone in this room for `minutes` (moderators and admins). */
  readonly mute = (username: string, minutes: number, reason: string): Promise<Outcome> => {
    return this.request("mute", { room: this.room, username, minutes, reason }, "The mute was not set");
  }

  /**
   * Sends an `edit`, `delete` or `mute` and applies the message its ack carries. Like a vote,
   * nothing is queued while offline: the person sees it failed and can try again.
   */
  private request(event: string, payload: object, failed: string): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      if (!this.socket.connected) {
        resolve({ ok: false, error: `${failed}: you are offline.` });
        return;
      }
      this.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, response) => {
        if (err !== null) {
          resolve({ ok: false, error: `${failed}: no answer from the server.` });
          return;
        }
        if (isFailed(response)) {
          resolve({ ok: false, error: `${failed}: ${failureMessage(response)}` });
          return;
        }
        const message = (response as Partial<MessageAck>).message;
        if (message !== undefined) this.store.dispatch({ type: "message_acked", message });
        resolve({ ok: true });
      });
    });
  }

  /**
   * The reader typed something: tells the room, at most once per TYPING_SEND_INTERVAL_MS.
   * Nothing is queued while offline: a stale "typing" is worse than none.
   */
  readonly notifyTyping = (): void => {
    const now = Date.now();
    if (!this.live || !this.socket.connected || now - this.lastTypingSent < TYPING_SEND_INTERVAL_MS) return;
    this.lastTypingSent = now;
    this.socket.timeout(ACK_TIMEOUT_MS).emit("typing", { room: this.room }, () => undefined);
  }

  /** Loads the page before the oldest held message; resolves when it is in (or failed). */
  readonly loadOlder = (): Promise<void> => {
    return new Promise<void>((resolve) => {
      const { messages, hasMore } = this.store.getState();
      const oldest = messages[0];
      if (this.loadingOlder || !hasMore || oldest === undefined || !this.socket.connected) {
        resolve();
        return;
      }
      this.loadingOlder = true;
      const payload = { room: this.room, before: oldest.id };
      this.socket.timeout(ACK_TIMEOUT_MS).emit("get_previous_messages", payload, (err, response) => {
        this.loadingOlder = false;
        if (err !== null || isFailed(response)) {
          this.setNotice("Older messages could not be loaded.");
        } else {
          const page = response as HistoryAck;
          this.store.dispatch({ type: "older_loaded", messages: page.messages, hasMore: page.has_more });
        }
        resolve();
      });
    });
  }

  /**
   * The reader is at the newest messages: forget all but the latest KEPT_AT_BOTTOM, so a tab
   * left open in a busy room does not grow without end. Scrolling up loads them again.
   */
  readonly forgetOlder = (): void => {
    if (this.loadingOlder || this.store.getState().messages.length <= KEPT_AT_BOTTOM + FORGET_STEP) return;
    this.store.dispatch({ type: "older_forgotten", keep: KEPT_AT_BOTTOM });
  }

  private startSend(clientId: string, body: string, createdAt: string): void {
    const online = this.socket.connected;
    this.store.dispatch({ type: "send_started", clientId, body, createdAt, online });
    if (online) this.emitSend(clientId, body);
  }

  private emitSend(clientId: string, body: string): void {
    const ack: AckCallback = (err, response) => {
      if (err !== null) {
        // A dropped connection is not the message's fault: it waits in the outbox for the
        // next connect. A connection that stayed up without answering is a failure.
        if (!this.socket.connected) this.store.dispatch({ type: "send_interrupted", clientId });
        else this.store.dispatch({ type: "send_failed", clientId, error: "No answer from the server." });
        return;
      }
      if (isFailed(response)) {
        if (failureCode(response) === "muted") this.mutedBySend(failureMessage(response));
        this.store.dispatch({ type: "send_failed", clientId, error: failureMessage(response) });
        return;
      }
      this.store.dispatch({ type: "send_acked", clientId, message: (response as SendAck).message });
    };
    this.socket.timeout(ACK_TIMEOUT_MS).emit("data", { room: this.room, body, client_id: clientId }, ack);
  }

  private flushOutbox(): void {
    const queued = this.store.getState().outbox.filter((item) => item.status === "queued");
    if (queued.length === 0) return;
    this.store.dispatch({ type: "outbox_flushing", clientIds: queued.map((item) => item.clientId) });
    for (const item of queued) this.emitSend(item.clientId, item.body);
  }

  private join(): void {
    const { watermark } = this.store.getState().seqs;
    const fresh = this.wantLive && this.store.getState().hasNewer;
    const payload = watermark === null || fresh ? { room: this.room } : { room: this.room, after_seq: watermark };
    this.joining = true;
    this.socket.timeout(ACK_TIMEOUT_MS).emit("join", payload, (err, response) => {
      this.joining = false;
      if (!this.live) return;
      if (err !== null) {
        if (this.socket.connected) this.rejoinTimer = setTimeout(() => this.join(), REJOIN_DELAY_MS);
        return;
      }
      if (isFailed(response)) {
        this.joinFailed = true;
        this.setNotice(`Could not join the room: ${failureMessage(response)}`);
        // A busy server or database is a passing state: try again rather than stay out.
        const code = response.error?.code;
        if (code === "unavailable" || code === "rate_limited") {
          const delay = code === "rate_limited" ? RATE_LIMITED_REJOIN_DELAY_MS : REJOIN_DELAY_MS;
          this.rejoinTimer = setTimeout(() => {
            if (this.live && this.socket.connected && !this.joining) this.join();
          }, delay);
        }
        return;
      }
      if (this.joinFailed) {
        this.joinFailed = false;
        this.setNotice(null);
      }
      const ack = response as RoomJoinAck;
      const heldWatermark = this.store.getState().seqs.watermark;
      if (ack.online !== undefined) this.online.set(ack.online);
      // A reader who reloads while muted learns it here, before trying to send.
      if (ack.muted !== undefined) this.setMute(ack.muted);
      this.store.dispatch({
        type: "joined",
        messages: ack.messages,
        seq: ack.seq,
        hasMore: ack.has_more,
        // A room opened at a message before its first join keeps that window: the join only
        // sets the watermark (and the latest page is left out, being past the window).
        replace: fresh || ack.reset === true || (watermark === null && !this.store.getState().hasNewer),
      });
      if (fresh) this.wantLive = false;
      // A catch-up brings what changed while the socket was away; the Top view needs it too.
      if (watermark !== null && ack.reset !== true) this.top.noteMessages(ack.messages, "reader");
      this.onJoined?.(ack);
      // After the catch-up, so the echo of a message that did land is matched against history.
      this.flushOutbox();
      if (fresh && heldWatermark !== null && heldWatermark > ack.seq) {
        // Changes past the ack's seq were seen (and, away from the live end, left out) before
        // it came: fetch them again now that the view is at the live end.
        this.join();
      } else if (this.wantLive && this.store.getState().hasNewer) {
        // The reader asked for the live end while this join was on its way.
        this.join();
      }
    });
  }

  // A broadcast that arrived ahead of a missing seq leaves a gap; if nothing fills it soon,
  // the missing change was lost on the way and a join with after_seq fetches it.
  private watchGaps(): void {
    if (!this.store.getState().seqs.hasGap) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
      return;
    }
    if (this.gapTimer !== undefined) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (!this.live || !this.socket.connected || this.joining) return;
      if (this.store.getState().seqs.hasGap) this.join();
    }, GAP_TIMEOUT_MS);
  }

  /**
   * A `data`, `update`, `vote` or `batch` event: applied in one dispatch, as its entries one by
   * one would be. An `update` is a whole message with a newer seq, so the timeline merges it as
   * it merges `data`; only new messages are announced and end their author's typing.
   */
  private receive(batch: BatchEvent): void {
    if (batch.room !== undefined && batch.room !== this.room) return;
    const created = batch.data ?? [];
    const updated = batch.update ?? [];
    const messages = updated.length === 0 ? created : [...created, ...updated];
    const votes = batch.vote ?? [];
    const covers = batch.covers ?? [];
    const held = this.store.getState().messages;
    const news = created.filter((message) => message.author.id !== this.myId && findMessage(held, message.id) === undefined);
    this.store.dispatch({ type: "broadcast", messages, votes, covers });
    this.top.noteMessages(messages, "broadcast");
    this.top.noteTotals(votes, null);
    // Someone whose message arrived has stopped typing it.
    for (const message of created) this.stopTyping(message.author.id);
    const latest = news[news.length - 1];
    if (latest !== undefined) this.announce(`${latest.author.username}: ${latest.body.slice(0, 200)}`);
  }

  /** A send was refused as muted: the message says until when (an ISO time), if it can be read. */
  private mutedBySend(message: string): void {
    const found = ISO_TIME.exec(message)?.[0];
    const until = found !== undefined && !Number.isNaN(Date.parse(found)) ? new Date(Date.parse(found)).toISOString() : null;
    const current = this.muted.get();
    // A `muted` event already said more (its reason) about the same mute.
    if (current !== null && current.until !== null && (until === null || Date.parse(current.until) >= Date.parse(until))) return;
    this.setMute({ until, reason: current?.reason ?? "" });
  }

  /** Holds the mute until it runs out by itself (the server sends nothing then), or is lifted. */
  private setMute(mute: Mute | null): void {
    clearTimeout(this.muteTimer);
    this.muteTimer = undefined;
    if (mute === null) {
      this.muted.set(null);
      return;
    }
    if (mute.until === null) {
      this.muteTimer = setTimeout(() => this.setMute(null), UNKNOWN_MUTE_MS);
      this.muted.set(mute);
      return;
    }
    const left = Date.parse(mute.until) - Date.now();
    if (!(left > 0)) {
      this.muted.set(null);
      return;
    }
    // Checked again when the timer fires: a mute longer than the longest timer waits in steps.
    this.muteTimer = setTimeout(() => this.setMute(mute), Math.min(left, MAX_TIMER_MS));
    this.muted.set(mute);
  }

  private showTyping(user: OnlineUser): void {
    clearTimeout(this.typingTimers.get(user.id));
    this.typingTimers.set(user.id, setTimeout(() => this.stopTyping(user.id), TYPING_SHOWN_MS));
    const shown = this.typing.get();
    if (!shown.some((someone) => someone.id === user.id)) this.typing.set([...shown, user]);
  }

  private stopTyping(userId: number): void {
    const timer = this.typingTimers.get(userId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.typingTimers.delete(userId);
    this.typing.set(this.typing.get().filter((someone) => someone.id !== userId));
  }

  private announce(announcement: string): void {
    this.notices.set({ ...this.notices.get(), announcement });
  }

  private setNotice(notice: string | null): void {
    if (this.notices.get().notice !== notice) this.notices.set({ ...this.notices.get(), notice });
  }
}
