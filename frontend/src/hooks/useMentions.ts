import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { fetchMentions } from "../api/mentions";
import { localSeenStore, MentionInbox, type MentionState } from "../chat/mentionInbox";
import { askNotificationPermission, notificationPermission, notifyMention, type NotifyPermission } from "../lib/notifications";
import { useSocket } from "../socket/SocketContext";

export interface MentionsView extends MentionState {
  markSeen: MentionInbox["markSeen"];
  loadMore: MentionInbox["loadMore"];
  /** Whether the browser may show notifications (asked only from an explicit control). */
  permission: NotifyPermission;
  askPermission(): void;
}

export interface UseMentionsOptions {
  myId: number;
  /** Opens a room at a message (a notification was clicked). */
  onOpen(room: string, messageId: number): void;
}

/** The reader's mentions, live over the tab's socket, with notifications while the tab is hidden. */
export function useMentions({ myId, onOpen }: UseMentionsOptions): MentionsView {
  const socket = useSocket();
  const inbox = useMemo(
    () =>
      new MentionInbox({
        socket,
        myId,
        loadPage: (before) => fetchMentions(before),
        seen: localSeenStore(myId),
      }),
    [socket, myId],
  );
  useEffect(() => {
    inbox.start();
    return () => inbox.close();
  }, [inbox]);
  useEffect(
    () =>
      inbox.arrived.subscribe(() => {
        const message = inbox.arrived.get();
        if (message !== null) notifyMention(message, () => onOpen(message.room, message.id));
      }),
    [inbox, onOpen],
  );
  const state = useSyncExternalStore(inbox.state.subscribe, inbox.state.get, inbox.state.get);
  const [permission, setPermission] = useState<NotifyPermission>(notificationPermission);
  const askPermission = useCallback(() => {
    void askNotificationPermission().then(setPermission, () => setPermission(notificationPermission()));
  }, []);
  return { ...state, markSeen: inbox.markSeen, loadMore: inbox.loadMore, permission, askPermission };
}
