import { useEffect, useMemo, useState } from "react";
import { RoomSession } from "../chat/roomSession";
import { useSocket } from "../socket/SocketContext";
import { useRoomView, type RoomView } from "./useRoomView";

export interface UseRoomOptions {
  room: string;
  /** The reader's user id, to tell our own messages from others'. */
  myId: number;
  /** Makes client ids; tests pass a predictable one. */
  makeClientId?: () => string;
}

export type UseRoomResult = RoomView;

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
  return useRoomView(session);
}
