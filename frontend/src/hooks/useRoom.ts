import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { RoomSession, type RoomNotices } from "../chat/roomSession";
import type { ChatState } from "../chat/timeline";
import { useSocket } from "../socket/SocketContext";

export interface UseRoomOptions {
  room: string;
  /** The reader's user id, to tell our own messages from others'. */
  myId: number;
  /** Makes client ids; tests pass a predictable one. */
  makeClientId?: () => string;
}

export interface UseRoomResult extends RoomNotices {
  state: ChatState;
  send: RoomSession["send"];
  retry: RoomSession["retry"];
  vote: RoomSession["vote"];
  loadOlder: RoomSession["loadOlder"];
  forgetOlder: RoomSession["forgetOlder"];
}

/** One room's timeline, live while the calling component is mounted (see RoomSession). */
export function useRoom({ room, myId, makeClientId }: UseRoomOptions): UseRoomResult {
  const socket = useSocket();
  // The first maker stays: a new function on every render must not start a new session.
  const [clientIds] = useState(() => makeClientId);
  const session = useMemo(
    () => new RoomSession({ socket, room, myId, makeClientId: clientIds }),
    [socket, room, myId, clientIds],
  );
  useEffect(() => {
    session.start();
    return () => session.close();
  }, [session]);
  const state = useSyncExternalStore(session.store.subscribe, session.store.getState, session.store.getState);
  const notices = useSyncExternalStore(session.notices.subscribe, session.notices.get, session.notices.get);
  return {
    state,
    ...notices,
    send: session.send,
    retry: session.retry,
    vote: session.vote,
    loadOlder: session.loadOlder,
    forgetOlder: session.forgetOlder,
  };
}
